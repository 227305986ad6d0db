/**
 * Finds and loads the user's handler from a handler string such as `src/app.handlers.main`
 * (spec §3.3), with the lookup order and error types of AWS's Node.js runtime
 * (RIC `src/UserFunction.js`):
 *
 * 1. `..` anywhere → `Runtime.MalformedHandlerName`; no `.` in the last path segment → same.
 * 2. The module is the last segment up to its first `.`; the rest is a property path.
 * 3. Tried in order: the extensionless path (`require`), `.js` via `require` unless the nearest
 *    `package.json` says `"type": "module"`, then `.js` via `import()` if it does, `.mjs` via
 *    `import()`, `.cjs` via `require`, and finally Node's own resolution from the task root (so a
 *    package in `node_modules` can be a handler module).
 * 4. A `SyntaxError` while loading → `Runtime.UserCodeSyntaxError`; `MODULE_NOT_FOUND` (CommonJS)
 *    → `Runtime.ImportModuleError`. Anything else, including ESM's `ERR_MODULE_NOT_FOUND`, is
 *    reported as thrown — AWS does the same, so an ES module missing a package fails as `Error`.
 * 5. A missing or falsy property → `Runtime.HandlerNotFound` "… is undefined or not exported";
 *    a non-function → "… is not a function".
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HandlerNotFound, ImportModuleError, MalformedHandlerName, MalformedStreamingHandler, UserCodeSyntaxError } from './errors.mjs';

// Created for index.mjs so that a failed require lists the entry point in its "Require stack",
// as AWS's message lists /var/runtime/index.mjs.
const require = createRequire(new URL('./index.mjs', import.meta.url));

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

/**
 * The `awslambda` global the RIC defines before user code loads (unless
 * `AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA` is set): `streamifyResponse` marks a handler as
 * streaming; `HttpResponseStream.from` adds the HTTP-integration prelude.
 */
export function defineAwsLambdaGlobal() {
  const opt = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (opt === '1' || opt === 'true') return;
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') {
        handler[HANDLER_HIGH_WATER_MARK] = Number.parseInt(options.highWaterMark, 10);
      }
      return handler;
    },
    HttpResponseStream: {
      from(stream, prelude) {
        stream.setContentType('application/vnd.awslambda.http-integration-response');
        // The prelude is JSON and may not contain NUL; 8 NUL bytes end it (spec §1.5).
        const text = JSON.stringify(prelude);
        stream._onBeforeFirstWrite = (write) => {
          write(text);
          write(new Uint8Array(8));
        };
        return stream;
      },
    },
  };
}

/**
 * @typedef {object} SnapStartHook
 * @property {Function} hook
 * @property {unknown[]} args
 */

/**
 * Defines the `thawSnapStart` global, thaw's SnapStart runtime hooks for Node.js (AWS has none
 * for Node.js; the API mirrors AWS's Python library `snapshot_restore_py`):
 * `thawSnapStart.registerBeforeSnapshot(hook, ...args)` and
 * `thawSnapStart.registerAfterRestore(hook, ...args)`, each returning `hook`.
 *
 * A global rather than an importable module because a handler's `import` cannot reach this
 * runtime: ES modules resolve bare specifiers from the importing file's folder only (NODE_PATH is
 * for `require`), and a function that feature-detects the global (`globalThis.thawSnapStart?.…`)
 * runs unchanged on AWS and in unit tests. Defined whatever the initialization type, before the
 * handler loads; the hooks run only under SnapStart (snap-start.mjs).
 *
 * @returns {{ beforeSnapshot: SnapStartHook[], afterRestore: SnapStartHook[] }} the live
 *   registries, in registration order
 */
export function defineSnapStartGlobal() {
  const registries = { beforeSnapshot: [], afterRestore: [] };
  const register = (registry, name) => (hook, ...args) => {
    if (typeof hook !== 'function') throw new TypeError(`thawSnapStart.${name}: the hook must be a function`);
    registry.push({ hook, args });
    return hook;
  };
  Object.defineProperty(globalThis, 'thawSnapStart', {
    value: Object.freeze({
      registerBeforeSnapshot: register(registries.beforeSnapshot, 'registerBeforeSnapshot'),
      registerAfterRestore: register(registries.afterRestore, 'registerAfterRestore'),
    }),
    enumerable: false,
    writable: false,
    configurable: false,
  });
  return registries;
}

/**
 * Loads the handler named by `handlerString`, relative to `appRoot` (the task root, the cwd).
 * @returns {Promise<{ handler: Function, streaming: boolean, highWaterMark: number | undefined, isAsync: boolean }>}
 * @throws {MalformedHandlerName | ImportModuleError | UserCodeSyntaxError | HandlerNotFound}
 *   and whatever the module itself throws while loading.
 */
export async function loadUserFunction(appRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  // The RIC cuts the module root at the first occurrence of the last segment (indexOf, not
  // lastIndexOf); kept so that odd names resolve to the same file as on AWS.
  const moduleAndHandler = basename(handlerString);
  const moduleRoot = handlerString.substring(0, handlerString.indexOf(moduleAndHandler));
  const dot = moduleAndHandler.indexOf('.');
  if (dot === -1) throw new MalformedHandlerName('Bad handler');
  const moduleName = moduleAndHandler.slice(0, dot);
  const propertyPath = moduleAndHandler.slice(dot + 1);

  const userModule = await loadModule(appRoot, moduleRoot, moduleName);
  const handler = propertyPath.split('.').reduce((value, key) => value && value[key], userModule);
  if (!handler) throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${handlerString} is not a function`);

  return {
    handler,
    streaming: isStreaming(handler),
    highWaterMark: highWaterMark(handler),
    // The RIC's test: only a declared `async function` counts, not one returning a promise.
    isAsync: handler.constructor?.name === 'AsyncFunction',
  };
}

async function loadModule(appRoot, moduleRoot, moduleName) {
  try {
    return await tryLoad(appRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserCodeSyntaxError(error);
    if (error?.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(error);
    throw error;
  }
}

async function tryLoad(appRoot, moduleRoot, moduleName) {
  const base = resolve(appRoot, moduleRoot, moduleName);

  // A loaded module that is falsy (module.exports = 0) counts as "not loaded", as in the RIC.
  const viaRequire = (path) => (existsSync(path) ? require(path) : undefined);
  const viaImport = async (path) => (existsSync(path) ? await import(pathToFileURL(path).href) : undefined);

  const extensionless = viaRequire(base);
  if (extensionless) return extensionless;

  const typeModule = nearestPackageIsModule(dirname(base));
  if (!typeModule) {
    const commonJs = viaRequire(base + '.js');
    if (commonJs) return commonJs;
  }

  const loaded =
    (typeModule && (await viaImport(base + '.js'))) || (await viaImport(base + '.mjs')) || viaRequire(base + '.cjs');
  if (loaded) return loaded;

  // Node's resolution last: finds node_modules packages; throws MODULE_NOT_FOUND otherwise.
  return require(require.resolve(moduleName, { paths: [appRoot, moduleRoot] }));
}

/**
 * Whether the nearest package.json above `folder` has `"type": "module"`. The search stops at a
 * `node_modules` folder and at `/`; an unreadable package.json counts as CommonJS, with a warning.
 */
function nearestPackageIsModule(folder) {
  for (let dir = folder; ; dir = dirname(dir)) {
    if (dir.endsWith('/node_modules')) return false;
    const packageJson = join(dir, 'package.json');
    if (existsSync(packageJson)) {
      try {
        const manifest = JSON.parse(readFileSync(packageJson, 'utf8'));
        if (manifest) return manifest.type === 'module';
      } catch (error) {
        console.warn(`${packageJson} cannot be read, it will be ignored for ES module detection purposes.`, error);
        return false;
      }
    }
    if (dir === '/' || dirname(dir) === dir) return false;
  }
}

function isStreaming(handler) {
  const mode = handler[HANDLER_STREAMING];
  if (mode === undefined || mode === null || mode === false) return false;
  if (mode === STREAM_RESPONSE) return true;
  throw new MalformedStreamingHandler('Only response streaming is supported.');
}

function highWaterMark(handler) {
  const value = handler[HANDLER_HIGH_WATER_MARK];
  if (value === undefined || value === null || value === false) return undefined;
  const parsed = Number.parseInt(value, 10);
  return Number.isNaN(parsed) ? undefined : parsed;
}
