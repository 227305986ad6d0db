/**
 * The fork server with the real native/thaw-spawner.c and thaw-exec: output and exit statuses come
 * through, a failed exec is reported on the status pipe, a dead thaw-spawner takes its children
 * with it and is replaced, an idle one exits, and requests it cannot carry are refused.
 */
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import {
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
} from "node:fs";
import {
  createConnection,
  createServer,
  type AddressInfo,
  type Socket,
} from "node:net";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ForkServer,
  LaunchError,
  type LaunchedProcess,
} from "./fork-server.js";
import { nativeHelpers } from "./process-testing.js";
import {
  assertNoLeaks,
  processAlive,
} from "../../../../tests/support/leaks.js";

const { thawExecPath, thawSpawnerPath } = nativeHelpers();

function sh(server: ForkServer, script: string): Promise<LaunchedProcess> {
  return server.launch({
    args: ["--status-fd", "3", "--", "/bin/sh", "-c", script],
    cwd: "/",
    env: { PATH: "/usr/bin:/bin" },
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(10);
  }
}

void describe("ForkServer", () => {
  after(async () => {
    await assertNoLeaks();
  });

  void test("delivers stdout, stderr, the exec status and the exit code", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    const child = await sh(server, "echo out; echo err >&2; pwd; exit 7");
    const [out, err, status, exit] = await Promise.all([
      text(child.stdout),
      text(child.stderr),
      text(child.status),
      child.exited,
    ]);
    assert.equal(out, "out\n/\n");
    assert.equal(err, "err\n");
    assert.equal(
      status,
      "",
      "nothing on the status pipe: the program was exec'd",
    );
    assert.deepEqual(exit, { code: 7, signal: null });
  });

  void test("reports a death by signal with the signal's name", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    const child = await sh(server, "kill -TERM $$");
    assert.deepEqual(await child.exited, { code: null, signal: "SIGTERM" });
  });

  void test("a working directory that does not exist fails on the status pipe with 125", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    const child = await server.launch({
      args: ["--status-fd", "3", "--", "/bin/true"],
      cwd: "/nonexistent/dir",
      env: {},
    });
    const [status, exit] = await Promise.all([
      text(child.status),
      child.exited,
    ]);
    assert.match(
      status,
      /^thaw-spawner: cannot change to the working directory \/nonexistent\/dir: No such file/,
    );
    assert.deepEqual(exit, { code: 125, signal: null });
  });

  void test("many launches at once each get their own process and output", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    const children = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sh(server, `echo ${String(i)}`)),
    );
    assert.equal(new Set(children.map((c) => c.pid)).size, 50);
    const outputs = await Promise.all(children.map((c) => text(c.stdout)));
    assert.deepEqual(
      outputs,
      Array.from({ length: 50 }, (_, i) => `${String(i)}\n`),
    );
    await Promise.all(children.map((c) => c.exited));
  });

  void test("an idle thaw-spawner exits; the next launch starts a new one", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    // Running long enough that thaw-spawner is still there when it is looked up.
    const first = await sh(server, "sleep 0.3");
    const spawner = server.spawnerPid;
    assert.ok(spawner !== undefined);
    await first.exited;
    await until(() => !processAlive(spawner), "the idle thaw-spawner to exit");
    const second = await sh(server, "exit 0");
    assert.notEqual(server.spawnerPid, spawner);
    await second.exited;
  });

  void test("when thaw-spawner dies, its children die and report SIGKILL; the next launch works", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    const child = await sh(server, "exec sleep 60");
    const spawner = server.spawnerPid;
    assert.ok(spawner !== undefined);
    process.kill(spawner, "SIGKILL");
    assert.deepEqual(await child.exited, { code: null, signal: "SIGKILL" });
    await until(() => !processAlive(child.pid), "the orphaned child to die");
    const next = await sh(server, "echo again");
    assert.equal(await text(next.stdout), "again\n");
    await next.exited;
  });

  void test("refuses a NUL byte, and says how to build a missing helper", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    await assert.rejects(
      server.launch({
        args: ["--", "/bin/true"],
        cwd: "/",
        env: { A: "x\0y" },
      }),
      (error: unknown) =>
        error instanceof LaunchError && /NUL byte/.test(error.message),
    );
    assert.equal(server.spawnerPid, undefined, "nothing was started for it");
    for (const broken of [
      new ForkServer("/nonexistent/thaw-spawner", thawExecPath),
      new ForkServer(thawSpawnerPath, "/nonexistent/thaw-exec"),
    ]) {
      await assert.rejects(
        sh(broken, "true"),
        (error: unknown) =>
          error instanceof LaunchError &&
          /scripts\/build-native\.sh/.test(error.message),
      );
    }
  });

  void test("identify() names who opened a loopback connection: a socket's cgroup and inode, or nobody (a relay: isolation.test.ts)", async () => {
    const server = new ForkServer(thawSpawnerPath, thawExecPath);
    const accepted: Socket[] = [];
    const listener = createServer((socket) => accepted.push(socket));
    listener.listen(0, "127.0.0.1");
    await once(listener, "listening");
    const { port } = listener.address() as AddressInfo;
    const client = createConnection(port, "127.0.0.1");
    try {
      await once(client, "connect");
      await until(() => accepted.length === 1, "the connection");
      const socket = accepted[0] as Socket;
      const connection = {
        remoteAddress: socket.remoteAddress ?? "",
        remotePort: socket.remotePort ?? 0,
        localAddress: socket.localAddress ?? "",
        localPort: socket.localPort ?? 0,
      };
      const owner = await server.identify(connection);
      assert.equal(owner.kind, "socket", owner.kind);
      if (owner.kind !== "socket") return;
      const links = readdirSync("/proc/self/fd").map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return "";
        }
      });
      assert.ok(
        links.includes(`socket:[${String(owner.inode)}]`),
        "the client socket is this process's",
      );
      const ownCgroup = ownCgroupV2Dir();
      if (ownCgroup !== undefined)
        assert.equal(owner.cgroupId, statSync(ownCgroup, { bigint: true }).ino);
      assert.deepEqual(
        await server.identify({ ...connection, remotePort: 1 }),
        { kind: "none" },
        "no such connection",
      );
      assert.equal(
        (await server.identify({ ...connection, remoteAddress: "nonsense" }))
          .kind,
        "unknown",
      );
    } finally {
      client.destroy();
      listener.close();
    }
    await until(
      () => server.spawnerPid === undefined,
      "the idle spawner to exit",
    );
  });
});

/** This process's cgroup v2 directory, where there is a unified hierarchy. */
function ownCgroupV2Dir(): string | undefined {
  const line = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("0::"));
  const dir = line === undefined ? undefined : `/sys/fs/cgroup${line.slice(3)}`;
  return dir !== undefined && existsSync(join(dir, "cgroup.procs"))
    ? dir
    : undefined;
}
