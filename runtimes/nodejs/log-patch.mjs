/**
 * Replaces `console.*` the way AWS's Node.js runtime does (RIC `src/LogPatch.js`), so that every
 * application log line looks as it does in CloudWatch (spec §4.2):
 *
 * - Text: `{ISO time}\t{requestId}\t{LEVEL}\t{util.format(args)}`. `requestId` is the string
 *   `undefined` during init, as on AWS.
 * - JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`): `{"timestamp","level","requestId","message"}`, plus
 *   `errorType`/`errorMessage`/`stackTrace` when an argument is an Error.
 *
 * On stdout a record's newlines become `\r`, which keeps a multi-line message (a stack trace) one
 * record for whoever splits the stream into lines; AWS does the same when it has no telemetry fd.
 * When `_LAMBDA_TELEMETRY_LOG_FD` is set, records are framed on that fd instead (spec §3.1).
 *
 * `AWS_LAMBDA_LOG_LEVEL` silences the levels below it. `console.log` is `console.info`.
 */
import { writeSync } from 'node:fs';
import { format } from 'node:util';
import { intoError, toFormatted } from './errors.mjs';

// The RIC keeps the current requestId in a well-known global symbol; tools such as Powertools
// read it, so it is kept under the same key.
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const TENANT_ID = Symbol.for('aws.lambda.runtime.tenantId');

/** Levels and their telemetry frame bits (RIC `LogPatch.js`). */
const LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1, tlvMask: 0b00100 },
  DEBUG: { name: 'DEBUG', priority: 2, tlvMask: 0b01000 },
  INFO: { name: 'INFO', priority: 3, tlvMask: 0b01100 },
  WARN: { name: 'WARN', priority: 4, tlvMask: 0b10000 },
  ERROR: { name: 'ERROR', priority: 5, tlvMask: 0b10100 },
  FATAL: { name: 'FATAL', priority: 6, tlvMask: 0b11000 },
});

const FRAME_TEXT = 0xa55a0003;
const FRAME_JSON = 0xa55a0002;

/** Sets the requestId (and tenant id) stamped on log records from now on. */
export function setCurrentRequestId(requestId, tenantId) {
  globalThis[REQUEST_ID] = requestId;
  globalThis[TENANT_ID] = tenantId;
}

let errorLogger = (message, error) => console.error(message, toFormatted(intoError(error)));

/**
 * Logs an error the way the RIC does for `Invoke Error`, `Uncaught Exception` and
 * `Unhandled Promise Rejection`: message plus tab-prefixed JSON in Text format, the error object
 * alone in JSON format.
 */
export function logError(message, error) {
  errorLogger(message, error);
}

// Errors inside a JSON message are shown with their non-enumerable fields (RIC jsonErrorReplacer).
function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

function formatJson(time, level, params) {
  const record = { timestamp: time, level: level.name, requestId: globalThis[REQUEST_ID] };
  const tenantId = globalThis[TENANT_ID];
  if (tenantId !== undefined && tenantId !== null) record.tenantId = tenantId;
  if (params.length === 1) {
    record.message = params[0];
    try {
      return JSON.stringify(record, jsonErrorReplacer);
    } catch {
      record.message = format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = format(...params);
  for (const param of params) {
    if (param instanceof Error) {
      record.errorType = param?.constructor?.name ?? 'UnknownError';
      record.errorMessage = param.message;
      record.stackTrace = typeof param.stack === 'string' ? param.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(record);
}

function formatText(time, level, params) {
  return `${time}\t${globalThis[REQUEST_ID]}\t${level.name}\t${format(...params)}`;
}

function stdoutWriter(formatRecord) {
  return (level, params) => {
    const line = formatRecord(new Date().toISOString(), level, params).replace(/\n/g, '\r');
    process.stdout.write(line + '\n');
  };
}

/**
 * Framed records on the telemetry fd: 4-byte type (with level bits), 4-byte length, 8-byte
 * timestamp in microseconds, message; big-endian.
 */
function fdWriter(fd, frameType, formatRecord, newline) {
  const header = Buffer.alloc(16);
  return (level, params) => {
    const now = new Date();
    const message = Buffer.from(formatRecord(now.toISOString(), level, params) + newline, 'utf8');
    header.writeUInt32BE((frameType | level.tlvMask) >>> 0, 0);
    header.writeInt32BE(message.length, 4);
    header.writeBigInt64BE(BigInt(now.valueOf()) * 1000n, 8);
    writeSync(fd, header);
    writeSync(fd, message);
  };
}

/** Replaces console.trace/debug/info/log/warn/error and adds console.fatal. */
export function patchConsole() {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const formatRecord = json ? formatJson : formatText;

  let write;
  const fdVariable = process.env._LAMBDA_TELEMETRY_LOG_FD;
  if (fdVariable !== undefined) {
    // The RIC hides the variable from user code once it owns the fd.
    delete process.env._LAMBDA_TELEMETRY_LOG_FD;
    write = fdWriter(Number.parseInt(fdVariable, 10), json ? FRAME_JSON : FRAME_TEXT, formatRecord, json ? '' : '\n');
  } else {
    write = stdoutWriter(formatRecord);
  }

  const threshold = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  // `(message, ...rest)` rather than `(...params)`: `console.log()` prints `undefined` on AWS.
  const method = (level) =>
    level.priority >= threshold.priority ? (message, ...rest) => write(level, [message, ...rest]) : () => {};

  console.trace = method(LEVELS.TRACE);
  console.debug = method(LEVELS.DEBUG);
  console.info = method(LEVELS.INFO);
  console.log = console.info;
  console.warn = method(LEVELS.WARN);
  console.error = method(LEVELS.ERROR);
  // FATAL is never filtered, as in the RIC.
  console.fatal = (message, ...rest) => write(LEVELS.FATAL, [message, ...rest]);

  errorLogger = json
    ? (_message, error) => console.error(intoError(error))
    : (message, error) => console.error(message, toFormatted(intoError(error)));
}
