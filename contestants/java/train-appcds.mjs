// The training run of the Java AppCDS contestants: starts the function's JVM exactly as thaw
// starts it (the same resolveRuntime, so the same JVM, flags and class path), plus
// -XX:ArchiveClassesAtExit, against a small in-process Runtime API; answers a few Invocations, then
// stops the JVM with SIGTERM so that it writes the dynamic class-data-sharing archive.
//
//   node contestants/java/train-appcds.mjs <package folder> <handler> <archive file name>
//
// thaw then runs the contestant with JAVA_TOOL_OPTIONS=-XX:SharedArchiveFile=<archive file name>
// in its environment: a path relative to the working directory, which is the task root with every
// backend (/var/task in the namespace backend). Needs thaw's build (dist/).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { join, resolve } from "node:path";

const [packageDir, handler, archive] = process.argv.slice(2);
if (
  packageDir === undefined ||
  handler === undefined ||
  archive === undefined
) {
  console.error(
    "usage: train-appcds.mjs <package folder> <handler> <archive file name>",
  );
  process.exit(2);
}
const root = resolve(import.meta.dirname, "../..");
const { createFunctionConfig } = await import(
  join(root, "dist/src/config/function-config.js")
);
const { resolveRuntime } = await import(
  join(root, "dist/src/runtimes/resolve-runtime.js")
);
const { THAW_PATHS } = await import(join(root, "dist/src/config/paths.js"));

const taskRoot = resolve(packageDir);
const config = createFunctionConfig({
  functionName: "appcds-training",
  runtime: "java17",
  handler,
});
const launch = resolveRuntime(config, taskRoot, {
  runtimesDir: THAW_PATHS.runtimes,
  javaClientDir: THAW_PATHS.javaRuntimeClient,
  toolchainsDir: THAW_PATHS.toolchains,
});

const events = [
  { a: 1 },
  { train: true, list: [1, 2, 3], nested: { text: "appcds" } },
  { a: 2 },
];
let served = 0;
let answered = 0;
let jvm;
const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const path = request.url ?? "";
    if (request.method === "GET" && path.endsWith("/invocation/next")) {
      if (served === events.length) {
        // Every event answered: stop the JVM, which dumps the archive as it exits.
        jvm.kill("SIGTERM");
        return;
      }
      const body = Buffer.from(JSON.stringify(events[served++]));
      response.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": body.length,
        "Lambda-Runtime-Aws-Request-Id": randomUUID(),
        "Lambda-Runtime-Deadline-Ms": String(Date.now() + 60_000),
        "Lambda-Runtime-Invoked-Function-Arn":
          "arn:aws:lambda:us-east-1:000000000000:function:appcds-training",
      });
      response.end(body);
      return;
    }
    if (path.endsWith("/response")) answered++;
    else
      console.error(
        `train-appcds: ${request.method} ${path}: ${Buffer.concat(chunks).toString()}`,
      );
    response.writeHead(202, { "Content-Type": "application/json" });
    response.end("{}");
  });
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const { port } = server.address();

jvm = spawn(
  launch.command,
  [`-XX:ArchiveClassesAtExit=${archive}`, "-Xlog:cds=error", ...launch.args],
  {
    cwd: taskRoot,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_LAMBDA_FUNCTION_NAME: config.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: handler,
      ...launch.env,
    },
  },
);
const code = await new Promise((done) =>
  jvm.on("exit", (status, signal) => done(status ?? signal)),
);
server.close();
if (answered !== events.length || !existsSync(join(taskRoot, archive))) {
  console.error(
    `train-appcds: ${answered}/${events.length} answered, JVM exit ${code}; no archive written`,
  );
  process.exit(1);
}
