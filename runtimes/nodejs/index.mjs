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
 * Cold start is the point of this product, so the entry imports only what the first Invocation
 * needs; streaming support is loaded only for streaming handlers. A SnapStart `restore/next` step
 * would go between loading the handler and the first iteration (see `afterInit`).
 */
import { UnhandledPromiseRejection } from './errors.mjs';
import { logError, patchConsole } from './log-patch.mjs';
import { RapidClient } from './rapid-client.mjs';
import { Runtime } from './runtime.mjs';
import { defineAwsLambdaGlobal, loadUserFunction } from './user-function.mjs';

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
let userFunction;
try {
  userFunction = await loadUserFunction(process.cwd(), handlerString);
} catch (error) {
  logError('Uncaught Exception', error);
  failInit(error, 129);
}

if (userFunction !== undefined) {
  await afterInit();
  const streaming = userFunction.streaming ? await import('./response-stream.mjs') : undefined;
  new Runtime({ client, userFunction, errorCallbacks, beforeExit, onFatal, streaming }).scheduleIteration();
}

/** The place for SnapStart's before-snapshot hooks and `GET /runtime/restore/next` (spec §1.8). */
async function afterInit() {}

function failInit(error, code) {
  const exit = () => process.exit(code);
  client.postInitError(error).then(exit, exit);
}

/** The Runtime API broke (connection lost, `/next` refused): nothing sensible is left to do. */
function onFatal(error) {
  process.stderr.write(`thaw runtime: Runtime API failure: ${error?.stack ?? error}\n`);
  process.exit(1);
}
