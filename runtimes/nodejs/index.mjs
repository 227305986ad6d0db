/**
 * thaw's managed Node.js runtime: the program inside a Node.js ExecutionEnvironment.
 *
 *   node [--max-old-space-size=N] runtimes/nodejs/index.mjs <handler>
 *
 * started with Lambda's environment variables and the task root as cwd (spec §3). It behaves as
 * AWS's own runtime, aws-lambda-nodejs-runtime-interface-client (the "RIC"), in what a function
 * can observe: handler lookup, `context`, callback and promise semantics, log lines, error
 * documents and exit codes. README.md in this folder lists the behaviours and the differences.
 *
 * Init sequence, as in the RIC's `index.mjs`: patch `console`, install the process-wide error
 * handlers, load the handler, then start polling `/next`. A failure while loading is logged as
 * `Uncaught Exception`, posted to `/runtime/init/error`, and ends the process with status 129 —
 * AWS routes init failures through the same uncaught-exception path.
 *
 * SnapStart (`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`, spec §1.8): between loading the handler
 * and the first `/next`, `afterInit` runs the hooks registered on the `thawSnapStart` global around
 * `GET /runtime/restore/next` (snap-start.mjs, loaded only then).
 *
 * Cold start is the point of this product, so the entry imports only what the first Invocation
 * needs; streaming and SnapStart support are loaded only for the functions that use them.
 */
import { UnhandledPromiseRejection } from './errors.mjs';
import { logError, patchConsole } from './log-patch.mjs';
import { RapidClient } from './rapid-client.mjs';
import { Runtime } from './runtime.mjs';
import { defineAwsLambdaGlobal, defineSnapStartGlobal, loadUserFunction } from './user-function.mjs';

const handlerString = process.argv[2] ?? process.env._HANDLER;
if (!handlerString) {
  throw new Error('No handler specified');
}
const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
if (!runtimeApi) {
  throw new Error('Missing Runtime API Server configuration.');
}

patchConsole();
const client = new RapidClient(runtimeApi);

/** @type {import('./runtime.mjs').ErrorCallbacks} Until the first Invocation, faults are init errors. */
const errorCallbacks = {
  uncaughtException: (error) => failInit(error, 129),
  unhandledRejection: (error) => failInit(error, 128),
};

process.on('uncaughtException', (error) => {
  logError('Uncaught Exception', error);
  errorCallbacks.uncaughtException(error);
});
process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', error);
  errorCallbacks.unhandledRejection(error);
});

// One `beforeExit` listener for the whole process; what it does changes per Invocation.
let onEmptyEventLoop;
const beforeExit = {
  set(listener) {
    onEmptyEventLoop = listener;
  },
};
process.on('beforeExit', () => onEmptyEventLoop?.());

defineAwsLambdaGlobal();
const snapStartHooks = defineSnapStartGlobal();
let userFunction;
try {
  userFunction = await loadUserFunction(process.cwd(), handlerString);
} catch (error) {
  logError('Uncaught Exception', error);
  failInit(error, 129);
}

if (userFunction !== undefined) {
  // Loaded before SnapStart's Snapshot, so that a restored clone has nothing left to load.
  const streaming = userFunction.streaming ? await import('./response-stream.mjs') : undefined;
  await afterInit();
  new Runtime({ client, userFunction, errorCallbacks, beforeExit, onFatal, streaming }).scheduleIteration();
}

/**
 * SnapStart's hooks and `GET /runtime/restore/next` when the environment is a SnapStart one
 * (snap-start.mjs); nothing otherwise. A failure there ends the process with status 64 (before the
 * Snapshot) or 65 (after the restore), once it has been reported.
 */
async function afterInit() {
  if (process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'snap-start') return;
  const { runSnapStart } = await import('./snap-start.mjs');
  const exitStatus = await runSnapStart({ client, hooks: snapStartHooks, errorCallbacks, beforeExit });
  if (exitStatus !== undefined) process.exit(exitStatus);
}

function failInit(error, code) {
  const exit = () => process.exit(code);
  client.postInitError(error).then(exit, exit);
}

/** The Runtime API broke (connection lost, `/next` refused): nothing sensible is left to do. */
function onFatal(error) {
  process.stderr.write(`thaw runtime: Runtime API failure: ${error?.stack ?? error}\n`);
  process.exit(1);
}
