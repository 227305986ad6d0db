/**
 * SnapStart's part of init (spec §1.8), loaded by index.mjs only when
 * `AWS_LAMBDA_INITIALIZATION_TYPE` is `snap-start`. AWS has no SnapStart for Node.js; the phases,
 * orders, error types and exit statuses are those of AWS's Python runtime (awslambdaric
 * `on_init_complete`), whose hook API `thawSnapStart` mirrors:
 *
 * 1. Before-snapshot hooks, in the reverse order of registration, each awaited; the first to fail
 *    stops the others.
 * 2. `GET /runtime/restore/next`, which resolves in each clone restored from the Snapshot. A hook's
 *    failure or a refused `restore/next` is logged, posted to `/runtime/init/error` with
 *    `Lambda-Runtime-Function-Error-Type: Runtime.BeforeSnapshotError` (the document keeps the
 *    error's own name as `errorType`, as Python keeps the exception's class name), exit 64.
 * 3. {@link reseedAfterRestore}.
 * 4. After-restore hooks, in the order of registration, each awaited; a failure is logged, posted
 *    to `/runtime/restore/error` (`Runtime.AfterRestoreError`), exit 65.
 *
 * Within a phase, an uncaught exception, an unhandled rejection, or an event loop that empties
 * while a hook's promise is pending (`Runtime.NodeJsExit`) fails the phase the same way.
 */
import { randomUUID } from 'node:crypto';
import { NodeJsExit } from './errors.mjs';
import { logError } from './log-patch.mjs';

const BEFORE_SNAPSHOT_ERROR = 'Runtime.BeforeSnapshotError';
/** awslambdaric's `sys.exit(64)` after a failed before-snapshot hook or `restore/next`. */
const BEFORE_SNAPSHOT_EXIT_STATUS = 64;
/** awslambdaric's `sys.exit(65)` after a failed after-restore hook. */
const AFTER_RESTORE_EXIT_STATUS = 65;
/** How long a failure's post may take before the process exits anyway (as runtime.mjs). */
const REPORT_GRACE_MS = 1000;
/** Node's `randomUUID` cache holds this many UUIDs' worth of bytes (`kBatchSize`, Node 20–24). */
const RANDOM_UUID_BATCH = 128;

/**
 * Runs the SnapStart phases. Resolves `undefined` once the after-restore hooks are done, or the
 * exit status to end the process with after a failure has been logged and posted.
 *
 * @param {object} options
 * @param {import('./rapid-client.mjs').RapidClient} options.client
 * @param {ReturnType<import('./user-function.mjs').defineSnapStartGlobal>} options.hooks
 * @param {import('./runtime.mjs').ErrorCallbacks} options.errorCallbacks pointed at the running
 *   phase, and put back as they were afterwards
 * @param {{ set(listener: (() => void) | undefined): void }} options.beforeExit
 * @returns {Promise<number | undefined>}
 */
export async function runSnapStart({ client, hooks, errorCallbacks, beforeExit }) {
  const initCallbacks = { ...errorCallbacks };
  const phase = (run, report) => runPhase(run, report, { errorCallbacks, beforeExit });

  const snapshotted = await phase(
    async () => {
      for (const { hook, args } of [...hooks.beforeSnapshot].reverse()) await hook(...args);
      await client.restoreNext();
    },
    (error) => client.postInitError(error, BEFORE_SNAPSHOT_ERROR),
  );
  if (!snapshotted) return BEFORE_SNAPSHOT_EXIT_STATUS;

  const restored = await phase(
    async () => {
      reseedAfterRestore();
      for (const { hook, args } of hooks.afterRestore) await hook(...args);
    },
    (error) => client.postRestoreError(error),
  );
  if (!restored) return AFTER_RESTORE_EXIT_STATUS;

  Object.assign(errorCallbacks, initCallbacks);
  beforeExit.set(undefined);
  return undefined;
}

/**
 * Runs `run`; resolves true when it succeeds, false once a failure (its rejection, or a fault the
 * process-wide handlers report meanwhile) has been logged and reported with `report`.
 */
function runPhase(run, report, { errorCallbacks, beforeExit }) {
  return new Promise((resolve) => {
    let settled = false;
    const fail = (error, alreadyLogged) => {
      if (settled) return;
      settled = true;
      // The process-wide handlers log an uncaught exception or rejection before calling back.
      if (!alreadyLogged) logError('Uncaught Exception', error);
      const done = () => resolve(false);
      report(error).then(done, done);
      // The post waits for the client's one socket, which a pending `restore/next` can hold (an
      // uncaught exception from a timer while the environment waits for its Snapshot): the process
      // must end regardless.
      setTimeout(done, REPORT_GRACE_MS);
    };
    errorCallbacks.uncaughtException = (error) => fail(error, true);
    errorCallbacks.unhandledRejection = (error) => fail(error, true);
    beforeExit.set(() => fail(new NodeJsExit(), false));
    run().then(
      () => {
        if (!settled) {
          settled = true;
          resolve(true);
        }
      },
      (error) => fail(error, false),
    );
  });
}

/**
 * What the runtime can give each clone of its own, since all start from the Snapshot's memory:
 * `crypto.randomUUID`'s cache of random bytes is used up, so the next UUIDs come from a fresh
 * draw of OpenSSL's generator instead of bytes drawn before the Snapshot.
 *
 * That draw is itself no fresher than OpenSSL: its DRBG state is in the Snapshot too, and is not
 * reseeded when the pid stays the same, which CRIU guarantees. JavaScript cannot reseed it (Node
 * exposes no `RAND_add`), nor V8's `Math.random` state, so `crypto.*` and `Math.random` give the
 * same values in every clone until OpenSSL reseeds by itself (measured; README.md, "Uniqueness
 * after restore", says what functions must do).
 */
function reseedAfterRestore() {
  for (let i = 0; i < RANDOM_UUID_BATCH; i++) randomUUID();
}
