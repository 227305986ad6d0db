import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BubblewrapWrapper,
  bubblewrapArgs,
  rebase,
  type SystemMount,
} from "./bubblewrap.js";

const SYSTEM: SystemMount[] = [
  { kind: "bind", path: "/usr" },
  { kind: "bind", path: "/etc" },
  { kind: "symlink", path: "/bin", target: "usr/bin" },
];

const SPEC = {
  command: "/pkg/task/bootstrap",
  args: [],
  cwd: "/pkg/task",
  env: {},
  memoryMB: 128,
  onLog: () => undefined,
};

/** The values that follow `flag` each time it appears. */
function after(
  args: readonly string[],
  flag: string,
  count: number,
): string[][] {
  const found: string[][] = [];
  args.forEach((arg, index) => {
    if (arg === flag) found.push(args.slice(index + 1, index + 1 + count));
  });
  return found;
}

test("bubblewrap: namespaces, no capabilities, the system read-only, the package at /var/task", () => {
  const args = bubblewrapArgs(
    {
      ...SPEC,
      readOnlyPaths: [
        "/usr/lib/jvm/java-17",
        "/opt/python/3.12",
        "/thaw/runtimes/python",
      ],
    },
    { system: SYSTEM, thawExecPath: "/thaw/build/native/thaw-exec" },
  );
  for (const flag of [
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
  ])
    assert.ok(args.includes(flag), flag);
  assert.deepEqual(after(args, "--cap-drop", 1), [["ALL"]]);
  assert.deepEqual(after(args, "--ro-bind", 2), [
    ["/usr", "/usr"],
    ["/etc", "/etc"],
    ["/pkg/task", "/var/task"],
    // /usr/lib/jvm is already shown by /usr.
    ["/opt/python/3.12", "/opt/python/3.12"],
    ["/thaw/runtimes/python", "/thaw/runtimes/python"],
    ["/thaw/build/native/thaw-exec", "/var/runtime/thaw-exec"],
  ]);
  assert.deepEqual(after(args, "--symlink", 2), [["usr/bin", "/bin"]]);
  assert.deepEqual(after(args, "--size", 3), [
    [String(512 * 1024 * 1024), "--tmpfs", "/tmp"],
  ]);
  assert.deepEqual(after(args, "--remount-ro", 1), [["/"]]);
  assert.deepEqual(after(args, "--chdir", 1), [["/var/task"]]);
  // The root is made read-only after every mount point was made in it.
  assert.ok(args.lastIndexOf("--ro-bind") < args.indexOf("--remount-ro"));
  assert.deepEqual(args.slice(-5), [
    "--",
    "/var/runtime/thaw-exec",
    "--status-fd",
    "3",
    "--",
  ]);
  assert.ok(
    !args.includes("--unshare-net"),
    "the network is the host's (or made by thaw-spawner)",
  );
});

test("bubblewrap: /tmp has the function's ephemeral storage", () => {
  const args = bubblewrapArgs(
    { ...SPEC, tmpMB: 10_240 },
    { system: SYSTEM, thawExecPath: "/x" },
  );
  assert.deepEqual(after(args, "--size", 1), [[String(10_240 * 1024 * 1024)]]);
});

test("rebase: the task root becomes /var/task only where it is a whole path", () => {
  const cases: [string, string][] = [
    ["/pkg/task", "/var/task"],
    ["/pkg/task/bootstrap", "/var/task/bootstrap"],
    ["/a:/pkg/task/lib:/b", "/a:/var/task/lib:/b"],
    ["-Dx=/pkg/task/lib", "-Dx=/var/task/lib"],
    ["/pkg/tasks", "/pkg/tasks"],
    ["/other/pkg/task", "/other/pkg/task"],
    ["no path here", "no path here"],
  ];
  for (const [input, expected] of cases)
    assert.equal(rebase(input, "/pkg/task", "/var/task"), expected, input);
});

test("the wrapped program: bwrap around the rebased command; an isolated network gets its own Runtime API address", () => {
  const wrapper = new BubblewrapWrapper({
    bwrapPath: "/usr/bin/bwrap",
    thawExecPath: "/x/thaw-exec",
    isolateNetwork: true,
  });
  const program = wrapper.wrap({
    ...SPEC,
    args: ["/pkg/task/app.py"],
    env: {
      LAMBDA_TASK_ROOT: "/pkg/task",
      AWS_LAMBDA_RUNTIME_API: "127.0.0.1:4567",
    },
  });
  assert.equal(program.command, "/usr/bin/bwrap");
  assert.deepEqual(program.args.slice(-2), [
    "/var/task/bootstrap",
    "/var/task/app.py",
  ]);
  assert.equal(program.env.LAMBDA_TASK_ROOT, "/var/task");
  assert.equal(program.env.AWS_LAMBDA_RUNTIME_API, "127.0.0.1:9001");
  assert.deepEqual(program.network, {
    relay: { port: 9001, target: { host: "127.0.0.1", port: 4567 } },
  });
  const alone = wrapper.wrap({ ...SPEC, env: {} });
  assert.deepEqual(
    alone.network,
    { relay: undefined },
    "no Runtime API: no network at all",
  );
});

test("exit statuses: bubblewrap's 128 + N is the Runtime's death by signal N", () => {
  const wrapper = new BubblewrapWrapper({
    bwrapPath: "/b",
    thawExecPath: "/x",
  });
  assert.deepEqual(wrapper.exitOf(137, null), {
    code: null,
    signal: "SIGKILL",
  });
  assert.deepEqual(wrapper.exitOf(143, null), {
    code: null,
    signal: "SIGTERM",
  });
  assert.deepEqual(wrapper.exitOf(3, null), { code: 3, signal: null });
  assert.deepEqual(wrapper.exitOf(127, null), { code: 127, signal: null });
  assert.deepEqual(wrapper.exitOf(null, "SIGKILL"), {
    code: null,
    signal: "SIGKILL",
  });
});
