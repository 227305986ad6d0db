/**
 * `thaw serve`: the Invoke API and control plane on a local port, for the AWS SDK and CLI with
 * `--endpoint-url`. Prints `thaw serve: listening on <url>` on stdout once every template function
 * is Active; function logs go to stderr, each line prefixed with its function's name. SIGINT and
 * SIGTERM drain: in-flight Invocations finish, then every environment stops and the command exits 0.
 */
import type { Command } from "commander";
import {
  addSandboxOptions,
  parseIntegerOption,
  sandboxSettings,
  type SandboxOptions,
} from "../options.js";

interface ServeOptions extends SandboxOptions {
  template?: string;
  host: string;
  port: number;
  keepAlive?: number;
  logs: boolean;
  snapstart?: boolean;
}

/** Adds `serve` to `program`. */
export function registerServeCommand(program: Command): void {
  const command = program
    .command("serve")
    .description(
      "Serve Lambda's Invoke API and control plane locally (AWS SDK/CLI: --endpoint-url).",
    )
    .option(
      "-t, --template <file>",
      "SAM or CloudFormation template whose functions to serve",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option(
      "-p, --port <port>",
      "port (0: any free port)",
      parseIntegerOption,
      9001,
    )
    .option(
      "--keep-alive <seconds>",
      "how long an idle environment lives (default 600)",
      parseIntegerOption,
    )
    .option("--no-logs", "do not print the functions' log lines")
    .option(
      "--snapstart",
      "SnapStart for every function and version (without it: published versions with SnapStart.ApplyOn PublishedVersions); needs root and CRIU",
    );
  addSandboxOptions(command).action(async (options: ServeOptions) => {
    // Loaded only here: the rest of the CLI does not pay for the server's modules.
    const { ThawApp } = await import("../../app/create-app.js");
    const app = await ThawApp.start({
      ...(options.template === undefined ? {} : { template: options.template }),
      host: options.host,
      port: options.port,
      sandbox: sandboxSettings(options),
      snapStart: options.snapstart === true,
      ...(options.keepAlive === undefined
        ? {}
        : { keepAliveMs: options.keepAlive * 1000 }),
      ...(options.logs
        ? {
            onLog: (line, _source, config) => {
              process.stderr.write(`[${config.functionName}] ${line}\n`);
            },
          }
        : {}),
      onNote: (note) => {
        process.stderr.write(`thaw: note: ${note}\n`);
      },
    });
    process.stdout.write(
      `thaw serve: listening on ${app.url} (${String(app.templateFunctions)} functions from the template)\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        process.stderr.write(
          `thaw: ${signal}: draining in-flight invocations\n`,
        );
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await app.close();
  });
}
