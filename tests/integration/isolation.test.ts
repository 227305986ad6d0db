/**
 * What a function can and cannot do on the namespace backend (bubblewrap), checked from inside
 * real sandboxes with a shell: its package is read-only at /var/task, /tmp is private and limited
 * to its ephemeral storage, the rest of the host (other packages, thaw's files) is absent, it has
 * its own pid namespace, and with network isolation it reaches its own Runtime API and nothing
 * else. The process backend is the contrast: it hides nothing.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend } from "../../src/app/backends.js";
import { invokeOnce } from "../../src/app/invoke-once.js";
import { THAW_PATHS, THAW_ROOT } from "../../src/config/paths.js";
import type { SandboxBackend, SandboxSpec } from "../../src/sandbox/sandbox.js";
import { assertNoLeaks } from "../support/leaks.js";

/** Runs `script` with bash in a sandbox of `backend` whose task root is `taskRoot`; its stdout. */
async function inSandbox(
  backend: SandboxBackend,
  taskRoot: string,
  script: string,
  spec: Partial<SandboxSpec> = {},
): Promise<{ lines: string[]; code: number | null }> {
  const lines: string[] = [];
  const sandbox = await backend.create({
    command: "/bin/bash",
    args: ["-c", script],
    cwd: taskRoot,
    env: { PATH: "/usr/bin:/bin", ...spec.env },
    memoryMB: 128,
    onLog: (line, stream) => {
      if (stream === "stdout") lines.push(line);
    },
    ...(spec.tmpMB === undefined ? {} : { tmpMB: spec.tmpMB }),
  });
  const exit = await sandbox.exited;
  return { lines, code: exit.code };
}

/** A TCP server on 127.0.0.1 that answers every connection with `word` and closes it. */
async function answering(
  word: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.end(`${word}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return { server, port: address.port };
}

/** Bash reading one line from 127.0.0.1:port, or printing `refused`. */
function readFrom(port: number | string): string {
  return `(exec 3<>/dev/tcp/127.0.0.1/${String(port)} && head -n1 <&3) 2>/dev/null || echo refused`;
}

describe("isolation on the namespace backend", () => {
  let taskRoot: string;
  let namespace: SandboxBackend;
  let isolated: SandboxBackend;
  let processBackend: SandboxBackend;

  before(async () => {
    taskRoot = await mkdtemp(join(tmpdir(), "thaw-isolation-"));
    await writeFile(join(taskRoot, "handler.txt"), "the package\n");
    namespace = await createBackend("namespace");
    isolated = await createBackend({
      backend: "namespace",
      isolateNetwork: true,
    });
    processBackend = await createBackend("process");
  });

  after(async () => {
    await rm(taskRoot, { recursive: true, force: true });
    await assertNoLeaks();
  });

  test("the package is read-only at /var/task, the working directory; / is read-only too", async () => {
    const { lines, code } = await inSandbox(
      namespace,
      taskRoot,
      "pwd; cat handler.txt; echo x > /var/task/new 2>/dev/null && echo wrote || echo refused; echo x > /handler.txt 2>/dev/null && echo wrote-root || echo refused-root; echo x >> handler.txt 2>/dev/null && echo appended || echo refused-append",
    );
    assert.equal(code, 0, lines.join("\n"));
    assert.deepEqual(lines, [
      "/var/task",
      "the package",
      "refused",
      "refused-root",
      "refused-append",
    ]);
    assert.equal(
      await readFile(join(taskRoot, "handler.txt"), "utf8"),
      "the package\n",
    );
  });

  test("the process backend, by contrast, lets a function write its package", async () => {
    const { lines } = await inSandbox(
      processBackend,
      taskRoot,
      "echo x > written-by-process 2>/dev/null && echo wrote || echo refused",
    );
    assert.deepEqual(lines, ["wrote"]);
    await rm(join(taskRoot, "written-by-process"));
  });

  test("/tmp is private and holds the function's ephemeral storage, no more", async () => {
    const { lines } = await inSandbox(
      namespace,
      taskRoot,
      'ls -A /tmp | wc -l; head -c 6M /dev/zero > /tmp/fits && echo fits; head -c 6M /dev/zero > /tmp/more 2>/dev/null && echo more || echo full; df -m /tmp | tail -n1 | tr -s " " | cut -d" " -f2',
      { tmpMB: 10 },
    );
    assert.deepEqual(lines, ["0", "fits", "full", "10"]);
  });

  test("a function's EphemeralStorage is the size of its /tmp (Node.js runtime)", async () => {
    const dir = join(taskRoot, "statfs");
    await mkdir(dir);
    await writeFile(
      join(dir, "index.mjs"),
      'import { statfsSync } from "node:fs";\n' +
        "export const handler = async () => {\n" +
        '  const s = statfsSync("/tmp");\n' +
        "  return Math.round((s.blocks * s.bsize) / 2 ** 20);\n" +
        "};\n",
    );
    const result = await invokeOnce(
      {
        packagePath: dir,
        function: {
          functionName: "tmp-size",
          runtime: "nodejs20.x",
          handler: "index.handler",
          ephemeralStorage: 600,
        },
        payload: Buffer.from("{}"),
      },
      { backend: namespace, onLog: () => undefined },
    );
    assert.equal(result.body.toString(), "600");
  });

  test("the host's other files are absent: other packages, thaw's own folders, home folders", async () => {
    const { lines } = await inSandbox(
      namespace,
      taskRoot,
      [
        THAW_ROOT,
        THAW_PATHS.fixtures,
        THAW_PATHS.packages,
        "/root",
        tmpdir() === "/tmp" ? "/home" : tmpdir(),
      ]
        .map(
          (path) => `test -e ${path} && echo "visible ${path}" || echo absent`,
        )
        .join("; "),
    );
    assert.deepEqual(lines, ["absent", "absent", "absent", "absent", "absent"]);
  });

  test("it has its own pid namespace: it sees only its own processes", async () => {
    const { lines } = await inSandbox(
      namespace,
      taskRoot,
      'echo $$; ls /proc | grep -c "^[0-9]"',
    );
    const [pid, count] = lines.map(Number);
    assert.ok(pid !== undefined && pid <= 3, `pid ${String(pid)}`);
    assert.ok(
      count !== undefined && count <= 4,
      `${String(count)} processes visible`,
    );
  });

  test("without isolation the host's network is reachable, as a Lambda function reaches out", async () => {
    const host = await answering("host");
    try {
      const { lines } = await inSandbox(
        namespace,
        taskRoot,
        readFrom(host.port),
      );
      assert.deepEqual(lines, ["host"]);
    } finally {
      host.server.close();
    }
  });

  test("a real Runtime works with an isolated network: Rust lambda_runtime, through the relay", async () => {
    const result = await invokeOnce(
      {
        packagePath: join(THAW_PATHS.fixtures, "rust"),
        function: {
          functionName: "isolated-rust",
          runtime: "provided.al2023",
          handler: "bootstrap",
        },
        payload: Buffer.from('{"action":"context"}'),
      },
      { backend: isolated, onLog: () => undefined },
    );
    assert.equal(result.functionError, false, result.body.toString());
    const context = JSON.parse(result.body.toString()) as {
      cwd: string;
      env: Record<string, string>;
    };
    assert.equal(context.env.AWS_LAMBDA_RUNTIME_API, "127.0.0.1:9001");
    assert.equal(context.cwd, "/var/task");
  });

  test("with isolation and no Runtime API, nothing answers at all", async () => {
    const host = await answering("host");
    try {
      const { lines } = await inSandbox(
        isolated,
        taskRoot,
        `${readFrom(host.port)}; ${readFrom(9001)}`,
      );
      assert.deepEqual(lines, ["refused", "refused"]);
    } finally {
      host.server.close();
    }
  });

  test("with isolation only its own Runtime API answers, at 127.0.0.1:9001", async () => {
    const own = await answering("own runtime api");
    const other = await answering("another environment's runtime api");
    try {
      const { lines } = await inSandbox(
        isolated,
        taskRoot,
        [
          'echo "$AWS_LAMBDA_RUNTIME_API"',
          readFrom(9001),
          readFrom(9001),
          readFrom(other.port),
          readFrom(own.port),
        ].join("; "),
        { env: { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${String(own.port)}` } },
      );
      assert.deepEqual(lines, [
        "127.0.0.1:9001",
        "own runtime api",
        "own runtime api",
        "refused",
        "refused",
      ]);
    } finally {
      own.server.close();
      other.server.close();
    }
  });
});
