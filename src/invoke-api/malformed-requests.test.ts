/**
 * Property-based tests: a malformed Invoke or control-plane request is answered with a 4xx in AWS's
 * error shape (spec §5.4, §6.5: `x-amzn-ErrorType`, JSON `{Type: "User", message, Message}`), never
 * a 5xx, and the server keeps serving. Requests go over real HTTP to a server on port 0 in front of
 * the {@link FakeLambdaService}; for the Invoke property the fake first checks the function name
 * and qualifier with the control plane's own parser, as thaw's registry does, so that bad names
 * get the answers they get from `thaw serve`. Raw `node:net` sockets send what no HTTP client
 * would.
 *
 * Each generated request lists the mistakes it carries; the answer must name one of them (the
 * order in which they are checked is the server's business), or succeed when there are none.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  anyPath,
  assertNoServerErrors,
  catchEscapes,
  cutOffBody,
  cutOffRequest,
  headerValue,
  malformedHttp,
  METHODS,
  mutatePath,
  PATH_MUTATIONS,
  postHead,
  send,
  sendRaw,
  trimmed,
  type Method,
  type Reply,
} from "../../tests/support/http-fuzz.js";
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from "../config/defaults.js";
import { parseFunctionRef } from "../control-plane/function-name.js";
import type { ServiceExceptionName } from "../errors/status-table.js";
import { decodeEventStreamMessages } from "../protocol/event-stream.js";
import {
  EVENT_STREAM_CONTENT_TYPE,
  MAX_CLIENT_CONTEXT_BYTES,
  MAX_CONTROL_REQUEST_BYTES,
  MAX_EVENT_PAYLOAD_BYTES,
  MAX_SYNC_PAYLOAD_BYTES,
} from "../protocol/invoke-api.js";
import { FakeLambdaService } from "./fake-lambda-service.js";
import type { InvokeCall, InvokeReply } from "./lambda-service.js";
import { REQUEST_SHAPES } from "./request-shapes.js";
import { InvokeApiServer } from "./server.js";
import type { FieldType } from "./wire-shape.js";

const SCOPE = {
  region: DEFAULT_REGION,
  accountId: DEFAULT_ACCOUNT_ID,
} as const;

/** Whatever escapes the server, caught instead of killing the file; leaks are checked after it. */
const escapes = catchEscapes();

// ---------------------------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------------------------

/**
 * The fake, checking the function name and qualifier of an Invoke as thaw's registry does before
 * anything else. Unchecked, the fake would echo any `Qualifier` (a line break included) into
 * `X-Amz-Executed-Version`, a 500 that `thaw serve` cannot produce: its registry refuses the
 * qualifier first.
 */
class NameCheckingService extends FakeLambdaService {
  override async invoke(call: InvokeCall): Promise<InvokeReply> {
    parseFunctionRef(call, SCOPE);
    const reply = await super.invoke(call);
    return reply;
  }
}

interface Harness {
  readonly server: InvokeApiServer;
  readonly service: NameCheckingService;
  /** Errors the server had to turn into a 500 (none may occur). */
  readonly unexpected: unknown[];
}

async function startHarness(t: TestContext): Promise<Harness> {
  const service = new NameCheckingService();
  const unexpected: unknown[] = [];
  const server = await InvokeApiServer.start(service, {
    port: 0,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  t.after(() => server.destroy());
  return { server, service, unexpected };
}

/** A property's fast-check parameters: `numRuns` runs, each forgetting what earlier runs found. */
function runs<Ts>(h: Harness, numRuns: number): fc.Parameters<Ts> {
  return escapes.runs(numRuns, () => {
    h.unexpected.length = 0;
  });
}

/** The server still serves a well-formed Invoke, and nothing went wrong inside it. */
async function assertStillServing(h: Harness): Promise<void> {
  const reply = await send(h.server.address, {
    method: "POST",
    path: "/2015-03-31/functions/echo/invocations",
    headers: { "Content-Type": "application/json" },
    body: Buffer.from('{"alive":true}'),
  });
  assert.equal(reply.status, 200, reply.body.toString());
  assert.equal(reply.body.toString(), '{"alive":true}');
  assert.deepEqual(h.unexpected, [], "an error became a 500");
  escapes.assertNone();
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/** The start of a reply's body, for assertion messages (a body may be megabytes). */
function preview(reply: Reply): string {
  const text = reply.body.toString("utf8");
  return text.length > 300
    ? `${text.slice(0, 300)}… (${String(text.length)} chars)`
    : text;
}

/**
 * Asserts AWS's error shape (spec §5.4) for a client mistake and returns the error's name. A HEAD
 * answer has no body, so only its headers are checked.
 */
function assertClientError(reply: Reply, method: string): string {
  const text = reply.body.toString("utf8");
  assert.ok(
    reply.status >= 400 && reply.status < 500,
    `${String(reply.status)} ${preview(reply)}`,
  );
  const name = reply.headers["x-amzn-errortype"];
  assert.equal(
    typeof name,
    "string",
    `x-amzn-ErrorType of ${String(reply.status)} ${preview(reply)}`,
  );
  assert.match(String(reply.headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/);
  assert.equal(reply.headers["content-type"], "application/json");
  if (method !== "HEAD") {
    const body = JSON.parse(text) as Record<string, unknown>;
    assert.equal(body.Type, "User", text);
    assert.equal(typeof body.message, "string", text);
    assert.equal(body.Message, body.message, text);
  }
  return String(name);
}

/** Asserts AWS's error shape, and that the error names one of the request's `mistakes`. */
function assertNamesAMistake(
  reply: Reply,
  method: string,
  mistakes: ReadonlySet<ServiceExceptionName>,
): void {
  const name = assertClientError(reply, method);
  assert.ok(
    mistakes.has(name as ServiceExceptionName),
    `${name} is none of ${[...mistakes].join(", ")}: ${preview(reply)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Shared arbitraries
// ---------------------------------------------------------------------------------------------

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The JSON value of `bytes`, or undefined when they are not JSON in UTF-8. */
function parsedJson(bytes: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(UTF8.decode(bytes)) as unknown };
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Invoke and InvokeWithResponseStream
// ---------------------------------------------------------------------------------------------

/** The characters of a function name (`[a-zA-Z0-9-_]`). */
const nameChar = fc.mapToConstant(
  { num: 26, build: (v) => String.fromCharCode(0x61 + v) },
  { num: 26, build: (v) => String.fromCharCode(0x41 + v) },
  { num: 10, build: (v) => String.fromCharCode(0x30 + v) },
  { num: 2, build: (v) => (v === 0 ? "-" : "_") },
);
/**
 * A valid bare function name. Names that read as another part of an ARN (an account id, the word
 * `function`, a region) are left out: with a suffix they would parse as that part.
 */
const validName = fc
  .string({ unit: nameChar, minLength: 1, maxLength: 64 })
  .filter(
    (name) =>
      !/^(?:\d{12}|function|arn|[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)$/.test(
        name,
      ),
  );
const validQualifier = fc.oneof(
  fc.constant("$LATEST"),
  fc.string({ unit: nameChar, minLength: 1, maxLength: 20 }),
);
/** Characters no form of `FunctionName` allows anywhere. */
const badNameChar = fc.constantFrom(
  " ",
  "/",
  ".",
  "!",
  "*",
  "@",
  "%",
  "é",
  "\u0000",
  "😀",
  "?",
  "#",
);

/** The `FunctionName` path segment of an Invoke. */
type NameSpec =
  | {
      readonly kind: "name" | "partial-arn" | "arn";
      readonly name: string;
      readonly suffix: string | null;
    }
  | { readonly kind: "arn-other-region"; readonly name: string }
  | { readonly kind: "too-long"; readonly length: number }
  | {
      readonly kind: "bad-char";
      readonly name: string;
      readonly char: string;
      readonly at: number;
    }
  /** Not valid percent-encoding: the router refuses it. */
  | { readonly kind: "bad-encoding"; readonly name: string }
  | { readonly kind: "empty" };

const nameSpec: fc.Arbitrary<NameSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        "name" as const,
        "partial-arn" as const,
        "arn" as const,
      ),
      name: validName,
      suffix: fc.option(validQualifier, { freq: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("arn-other-region" as const),
      name: validName,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("too-long" as const),
      length: fc.integer({ min: 65, max: 400 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("bad-char" as const),
      name: validName,
      char: badNameChar,
      at: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("bad-encoding" as const),
      name: validName,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "empty" } as const) },
);

/** The decoded `FunctionName` and the qualifier suffix in it. */
function functionNameOf(spec: NameSpec): string {
  switch (spec.kind) {
    case "name":
    case "partial-arn":
    case "arn": {
      const prefix =
        spec.kind === "name"
          ? ""
          : spec.kind === "partial-arn"
            ? `${SCOPE.accountId}:function:`
            : `arn:aws:lambda:${SCOPE.region}:${SCOPE.accountId}:function:`;
      return `${prefix}${spec.name}${spec.suffix === null ? "" : `:${spec.suffix}`}`;
    }
    case "arn-other-region":
      return `arn:aws:lambda:eu-west-1:${SCOPE.accountId}:function:${spec.name}`;
    case "too-long":
      return "f".repeat(spec.length);
    case "bad-char": {
      const at = spec.at % (spec.name.length + 1);
      return spec.name.slice(0, at) + spec.char + spec.name.slice(at);
    }
    case "bad-encoding":
      return spec.name;
    case "empty":
      return "";
  }
}

function segmentOf(spec: NameSpec): string {
  if (spec.kind === "bad-encoding") return `${spec.name}%E0%A4%A`;
  return encodeURIComponent(functionNameOf(spec));
}

type QualifierSpec =
  | { readonly kind: "none" }
  | { readonly kind: "empty" }
  | { readonly kind: "valid"; readonly value: string }
  /** The same as the name's suffix (or any valid one when there is none). */
  | { readonly kind: "same-as-suffix" }
  | { readonly kind: "bad"; readonly value: string }
  | { readonly kind: "too-long"; readonly length: number };

const qualifierSpec: fc.Arbitrary<QualifierSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "none" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "empty" } as const) },
  {
    weight: 2,
    arbitrary: validQualifier.map(
      (value) => ({ kind: "valid", value }) as const,
    ),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "same-as-suffix" } as const) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(validQualifier, badNameChar)
      .map(([value, char]) => ({ kind: "bad", value: value + char }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 129, max: 300 })
      .map((length) => ({ kind: "too-long", length }) as const),
  },
);

function qualifierOf(spec: QualifierSpec, name: NameSpec): string | undefined {
  switch (spec.kind) {
    case "none":
      return undefined;
    case "empty":
      return "";
    case "valid":
    case "bad":
      return spec.value;
    case "same-as-suffix":
      return "suffix" in name && name.suffix !== null ? name.suffix : "7";
    case "too-long":
      return "q".repeat(spec.length);
  }
}

/** A header: absent, or a value from the listed ones or any value at all. */
function headerSpec(values: readonly string[]): fc.Arbitrary<string | null> {
  return fc.option(fc.oneof(fc.constantFrom(...values), headerValue), {
    freq: 2,
  });
}

/** A client context: valid, or wrong in each way Lambda refuses. */
type ClientContextSpec =
  | { readonly kind: "json"; readonly text: string; readonly padded: boolean }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "not-base64"; readonly text: string }
  | { readonly kind: "object-of-size"; readonly size: number };

const clientContextSpec: fc.Arbitrary<ClientContextSpec | null> = fc.option(
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("json" as const),
        text: fc.oneof(
          fc.json({ maxDepth: 2 }),
          fc
            .dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }))
            .map((value) => JSON.stringify(value, null, 2)),
          fc.constantFrom("{", "", "{}x", "null"),
        ),
        padded: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 40 })
        .map((bytes) => ({ kind: "bytes", bytes }) as const),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.base64String({ maxLength: 20 }),
          fc.constantFrom("!", "-", "_", "=A", "\t=", "é"),
        )
        .map(
          ([text, bad]) =>
            ({ kind: "not-base64", text: `e30${bad}${text}` }) as const,
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({
          min: MAX_CLIENT_CONTEXT_BYTES - 2,
          max: MAX_CLIENT_CONTEXT_BYTES + 2,
        })
        .map((size) => ({ kind: "object-of-size", size }) as const),
    },
  ),
  { freq: 2 },
);

function clientContextBytes(spec: ClientContextSpec): Buffer | undefined {
  switch (spec.kind) {
    case "json":
      return Buffer.from(spec.text, "utf8");
    case "bytes":
      return Buffer.from(spec.bytes);
    case "not-base64":
      return undefined;
    case "object-of-size": {
      // {"a":"xxx…"} of exactly `size` bytes.
      return Buffer.from(`{"a":"${"x".repeat(spec.size - 8)}"}`);
    }
  }
}

function clientContextHeader(spec: ClientContextSpec): string {
  if (spec.kind === "not-base64") return spec.text;
  const base64 = (clientContextBytes(spec) ?? Buffer.alloc(0)).toString(
    "base64",
  );
  return spec.kind === "json" && !spec.padded
    ? base64.replace(/=+$/, "")
    : base64;
}

/** True when Lambda takes the client context: base64 of a JSON object of at most 3,583 bytes. */
function clientContextValid(spec: ClientContextSpec): boolean {
  const bytes = clientContextBytes(spec);
  // An empty header is no client context.
  if (clientContextHeader(spec) === "") return true;
  if (bytes === undefined || bytes.length > MAX_CLIENT_CONTEXT_BYTES)
    return false;
  const parsed = parsedJson(bytes);
  return parsed !== undefined && isObject(parsed.value);
}

/** A payload, described rather than held, so that a failing case prints readably. */
type PayloadSpec =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  /** `size` bytes of the digit 1: a JSON number, around the two payload limits. */
  | { readonly kind: "digits"; readonly size: number };

const payloadSpec: fc.Arbitrary<PayloadSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .oneof(
        fc.json(),
        fc.constantFrom("", " \n\t", "{", "{}}", "nul", "'a'", "[1,]"),
        fc.string({ maxLength: 100 }),
      )
      .map((text) => ({ kind: "text", text }) as const),
  },
  {
    weight: 2,
    arbitrary: fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => ({ kind: "bytes", bytes }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        MAX_EVENT_PAYLOAD_BYTES,
        MAX_EVENT_PAYLOAD_BYTES + 1,
        MAX_SYNC_PAYLOAD_BYTES,
        MAX_SYNC_PAYLOAD_BYTES + 1,
        MAX_SYNC_PAYLOAD_BYTES + 4096,
      )
      .map((size) => ({ kind: "digits", size }) as const),
  },
);

function payloadOf(spec: PayloadSpec): Buffer {
  switch (spec.kind) {
    case "text":
      return Buffer.from(spec.text, "utf8");
    case "bytes":
      return Buffer.from(spec.bytes);
    case "digits":
      return Buffer.alloc(spec.size, 0x31);
  }
}

function isBlank(bytes: Buffer): boolean {
  return /^[ \t\n\r]*$/.test(bytes.toString("latin1"));
}

interface InvokeRequest {
  readonly operation: "Invoke" | "InvokeWithResponseStream";
  readonly name: NameSpec;
  readonly qualifier: QualifierSpec;
  readonly invocationType: string | null;
  readonly logType: string | null;
  readonly clientContext: ClientContextSpec | null;
  readonly tenantId: string | null;
  readonly contentType: string | null;
  readonly expectContinue: boolean;
  readonly chunked: boolean;
  readonly payload: PayloadSpec;
}

const invokeRequest: fc.Arbitrary<InvokeRequest> = fc.record({
  operation: fc.constantFrom(
    "Invoke" as const,
    "InvokeWithResponseStream" as const,
  ),
  name: nameSpec,
  qualifier: qualifierSpec,
  invocationType: headerSpec([
    "RequestResponse",
    "Event",
    "DryRun",
    " Event ",
    "",
    "requestresponse",
    "Async",
  ]),
  logType: headerSpec(["None", "Tail", "", "tail", "All"]),
  clientContext: clientContextSpec,
  tenantId: fc.option(headerValue, { freq: 4 }),
  contentType: fc.option(
    fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/octet-stream",
        "text/plain",
      ),
      headerValue,
    ),
  ),
  expectContinue: fc.boolean(),
  chunked: fc.boolean(),
  payload: payloadSpec,
});

function invokePath(request: InvokeRequest): string {
  const qualifier = qualifierOf(request.qualifier, request.name);
  const query =
    qualifier === undefined
      ? ""
      : `?Qualifier=${encodeURIComponent(qualifier)}`;
  return request.operation === "Invoke"
    ? `/2015-03-31/functions/${segmentOf(request.name)}/invocations${query}`
    : `/2021-11-15/functions/${segmentOf(request.name)}/response-streaming-invocations${query}`;
}

function invokeHeaders(request: InvokeRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.invocationType !== null)
    headers["X-Amz-Invocation-Type"] = request.invocationType;
  if (request.logType !== null) headers["X-Amz-Log-Type"] = request.logType;
  if (request.clientContext !== null)
    headers["X-Amz-Client-Context"] = clientContextHeader(
      request.clientContext,
    );
  if (request.tenantId !== null) headers["X-Amz-Tenant-Id"] = request.tenantId;
  if (request.contentType !== null)
    headers["Content-Type"] = request.contentType;
  if (request.expectContinue) headers.Expect = "100-continue";
  if (request.chunked) headers["Transfer-Encoding"] = "chunked";
  return headers;
}

/** The invocation type the server sees, or undefined when it is not one the operation takes. */
function invocationTypeOf(request: InvokeRequest): string | undefined {
  const value =
    request.invocationType === null ? "" : trimmed(request.invocationType);
  if (value === "") return "RequestResponse";
  const allowed =
    request.operation === "Invoke"
      ? ["RequestResponse", "Event", "DryRun"]
      : ["RequestResponse", "DryRun"];
  return allowed.includes(value) ? value : undefined;
}

/** Every mistake in an Invoke, by the exception that names it (spec §5.1, §5.4). */
function invokeMistakes(request: InvokeRequest): Set<ServiceExceptionName> {
  const mistakes = new Set<ServiceExceptionName>();
  const name = request.name;
  switch (name.kind) {
    case "empty":
      mistakes.add("UnknownOperationException");
      break;
    case "bad-encoding":
      mistakes.add("InvalidParameterValueException");
      break;
    case "too-long":
    case "bad-char":
      mistakes.add("ValidationException");
      break;
    case "arn-other-region":
      mistakes.add("ResourceNotFoundException");
      break;
    case "name":
    case "partial-arn":
    case "arn":
      break;
  }
  const qualifier = qualifierOf(request.qualifier, name);
  if (request.qualifier.kind === "bad" || request.qualifier.kind === "too-long")
    mistakes.add("ValidationException");
  else if (
    qualifier !== undefined &&
    qualifier !== "" &&
    "suffix" in name &&
    name.suffix !== null &&
    name.suffix !== qualifier
  )
    mistakes.add("InvalidParameterValueException");
  const invocationType = invocationTypeOf(request);
  if (invocationType === undefined)
    mistakes.add("InvalidParameterValueException");
  const logType = request.logType === null ? "" : trimmed(request.logType);
  if (!["", "None", "Tail"].includes(logType))
    mistakes.add("ValidationException");
  if (
    request.clientContext !== null &&
    !clientContextValid(request.clientContext)
  )
    mistakes.add("InvalidRequestContentException");
  const payload = payloadOf(request.payload);
  const limit =
    invocationType === "Event"
      ? MAX_EVENT_PAYLOAD_BYTES
      : MAX_SYNC_PAYLOAD_BYTES;
  if (payload.length > limit) mistakes.add("RequestTooLargeException");
  else if (!isBlank(payload) && parsedJson(payload) === undefined)
    mistakes.add("InvalidRequestContentException");
  return mistakes;
}

test("Invoke and InvokeWithResponseStream: every mistake is a 4xx naming it, never a 5xx", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(invokeRequest, async (request) => {
      const mistakes = invokeMistakes(request);
      const payload = payloadOf(request.payload);
      const reply = await send(h.server.address, {
        method: "POST",
        path: invokePath(request),
        headers: invokeHeaders(request),
        body: payload,
      });
      const text = preview(reply);
      if (mistakes.size > 0) {
        assertNamesAMistake(reply, "POST", mistakes);
      } else {
        const type = invocationTypeOf(request);
        // The fake echoes the payload the function got: `{}` for an empty one.
        const sent = isBlank(payload) ? Buffer.from("{}") : payload;
        if (type === "DryRun") assert.equal(reply.status, 204, text);
        else if (type === "Event") assert.equal(reply.status, 202, text);
        else if (request.operation === "Invoke") {
          assert.equal(reply.status, 200, text);
          assert.ok(reply.body.equals(sent), "the result is not the payload");
        } else {
          assert.equal(reply.status, 200, text);
          assert.equal(
            reply.headers["content-type"],
            EVENT_STREAM_CONTENT_TYPE,
          );
          const messages = decodeEventStreamMessages(reply.body);
          const chunks = messages
            .filter((m) => m.headers[":event-type"] === "PayloadChunk")
            .map((m) => m.payload);
          assert.ok(
            Buffer.concat(chunks).equals(sent),
            "the streamed result is not the payload",
          );
          assert.equal(
            messages.at(-1)?.headers[":event-type"],
            "InvokeComplete",
          );
        }
      }
      await assertStillServing(h);
    }),
    runs(h, 400),
  );
});

// ---------------------------------------------------------------------------------------------
// Control-plane bodies
// ---------------------------------------------------------------------------------------------

/** A generated member value, and whether its JSON type is wrong for the member. */
interface MemberValue {
  readonly value: unknown;
  readonly wrong: boolean;
}

const right = (value: unknown): MemberValue => ({ value, wrong: false });
const wrong = (value: unknown): MemberValue => ({ value, wrong: true });

const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
);
const notANumber = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.constant(["1"]),
  fc.constant({ n: 1 }),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((x) => !Number.isInteger(x)),
);

/** A value for a member of `type`: mostly right, sometimes of another JSON type. */
function memberValue(type: FieldType, depth = 0): fc.Arbitrary<MemberValue> {
  const mistake = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<MemberValue> =>
    arbitrary.map(wrong);
  const either = (
    good: fc.Arbitrary<unknown>,
    bad: fc.Arbitrary<unknown>,
  ): fc.Arbitrary<MemberValue> =>
    fc.oneof(
      { weight: 4, arbitrary: good.map(right) },
      { weight: 1, arbitrary: mistake(bad) },
      // JSON null is the member left out.
      { weight: 1, arbitrary: fc.constant(right(null)) },
    );
  switch (type) {
    case "string":
      return either(fc.string({ maxLength: 20 }), notAString);
    case "integer":
      return either(fc.integer(), notANumber);
    case "boolean":
      return either(
        fc.boolean(),
        fc.oneof(fc.constantFrom("true", 0, 1, []), fc.constant({})),
      );
    case "blob":
      return either(
        fc
          .uint8Array({ maxLength: 30 })
          .map((bytes) => Buffer.from(bytes).toString("base64")),
        fc.oneof(fc.constantFrom("not base64!", "QUJD!", "é", 12), notAString),
      );
    case "string-list":
      return either(
        fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
        fc.oneof(
          fc.string({ maxLength: 5 }),
          fc.constant([1]),
          fc.constant([null]),
          fc.constant({}),
        ),
      );
    case "string-map":
      return either(
        fc.dictionary(
          fc.string({ maxLength: 8 }),
          fc.string({ maxLength: 8 }),
          {
            maxKeys: 3,
          },
        ),
        fc.oneof(
          fc.constant([]),
          fc.string({ maxLength: 5 }),
          fc.constant({ A: 1 }),
          fc.constant({ A: null }),
          fc.constant({ A: ["x"] }),
        ),
      );
    default: {
      const members = Object.entries(type);
      const structure =
        depth > 2
          ? fc.constant(right({}))
          : fc
              .tuple(
                ...members.map(([member, memberType]) =>
                  fc.option(
                    memberValue(memberType, depth + 1).map(
                      (v) => [member, v] as const,
                    ),
                  ),
                ),
              )
              .map((entries) => {
                const value: Record<string, unknown> = {};
                let isWrong = false;
                for (const entry of entries) {
                  if (entry === null) continue;
                  value[entry[0]] = entry[1].value;
                  isWrong ||= entry[1].wrong;
                }
                return { value, wrong: isWrong };
              });
      return fc.oneof(
        { weight: 4, arbitrary: structure },
        {
          weight: 1,
          arbitrary: mistake(
            fc.oneof(
              fc.string({ maxLength: 5 }),
              fc.integer(),
              fc.constant([{}]),
            ),
          ),
        },
        { weight: 1, arbitrary: fc.constant(right(null)) },
      );
    }
  }
}

/** A request shape seen loosely: member names and their wire types, and the required ones. */
interface LooseShape {
  readonly members: Readonly<Record<string, FieldType>>;
  readonly required: readonly string[];
}

function shapeOf(operation: keyof typeof REQUEST_SHAPES): LooseShape {
  const shape = REQUEST_SHAPES[operation];
  return { members: shape.members, required: shape.required };
}

interface BodyOperation {
  readonly name: keyof typeof REQUEST_SHAPES;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly limit: number;
}

const BODY_OPERATIONS: readonly BodyOperation[] = [
  {
    name: "CreateFunction",
    method: "POST",
    path: "/2015-03-31/functions",
    status: 201,
    limit: 70_167_211,
  },
  {
    name: "UpdateFunctionConfiguration",
    method: "PUT",
    path: "/2015-03-31/functions/f/configuration",
    status: 200,
    limit: MAX_CONTROL_REQUEST_BYTES,
  },
  {
    name: "UpdateFunctionCode",
    method: "PUT",
    path: "/2015-03-31/functions/f/code",
    status: 200,
    limit: 70_167_211,
  },
  {
    name: "PublishVersion",
    method: "POST",
    path: "/2015-03-31/functions/f/versions",
    status: 201,
    limit: MAX_CONTROL_REQUEST_BYTES,
  },
  {
    name: "PutFunctionConcurrency",
    method: "PUT",
    path: "/2017-10-31/functions/f/concurrency",
    status: 200,
    limit: MAX_CONTROL_REQUEST_BYTES,
  },
  {
    name: "PutProvisionedConcurrencyConfig",
    method: "PUT",
    path: "/2019-09-30/functions/f/provisioned-concurrency",
    status: 202,
    limit: MAX_CONTROL_REQUEST_BYTES,
  },
];

/** A control-plane body: members (right or wrong), or something that is not a JSON object. */
type ControlBody =
  | {
      readonly kind: "members";
      readonly members: readonly (readonly [string, MemberValue])[];
      readonly unknown: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  /** `size` spaces inside `{}`: a valid, empty object over the operation's limit. */
  | { readonly kind: "padded"; readonly size: number };

function membersOf(shape: LooseShape): fc.Arbitrary<ControlBody> {
  const members = Object.entries(shape.members);
  return fc.record({
    kind: fc.constant("members" as const),
    members: fc
      .tuple(
        ...members.map(([member, type]) =>
          fc.option(
            memberValue(type).map((v) => [member, v] as const),
            {
              freq: 3,
            },
          ),
        ),
      )
      .map((entries) => entries.filter((entry) => entry !== null)),
    unknown: fc.dictionary(
      fc.string({ maxLength: 12 }).filter((key) => !(key in shape.members)),
      fc.jsonValue({ maxDepth: 1 }),
      { maxKeys: 2 },
    ),
  });
}

function controlBody(shape: LooseShape): fc.Arbitrary<ControlBody> {
  return fc.oneof(
    { weight: 6, arbitrary: membersOf(shape) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.jsonValue({ maxDepth: 1 }).filter((value) => !isObject(value)),
          fc.constantFrom(null, [], "{}", 0),
        )
        .map((value) => ({ kind: "json", value }) as const),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom("", "{", '{"FunctionName":', "{}{}", "[", "\u00ff"),
        )
        .map((text) => ({ kind: "text", text }) as const),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 100 })
        .map((bytes) => ({ kind: "bytes", bytes }) as const),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(MAX_CONTROL_REQUEST_BYTES, MAX_CONTROL_REQUEST_BYTES + 1)
        .map((size) => ({ kind: "padded", size }) as const),
    },
  );
}

function controlBytes(body: ControlBody): Buffer {
  switch (body.kind) {
    case "members": {
      const value: Record<string, unknown> = { ...body.unknown };
      for (const [member, v] of body.members) value[member] = v.value;
      return Buffer.from(JSON.stringify(value));
    }
    case "json":
      return Buffer.from(JSON.stringify(body.value));
    case "text":
      return Buffer.from(body.text, "utf8");
    case "bytes":
      return Buffer.from(body.bytes);
    case "padded":
      return Buffer.from(`{${" ".repeat(body.size - 2)}}`);
  }
}

interface ControlRequest {
  readonly operation: BodyOperation;
  readonly body: ControlBody;
  readonly contentType: string | null;
  readonly qualifier: boolean;
  readonly chunked: boolean;
}

const controlRequest: fc.Arbitrary<ControlRequest> = fc
  .constantFrom(...BODY_OPERATIONS)
  .chain((operation) =>
    fc.record({
      operation: fc.constant(operation),
      body: controlBody(shapeOf(operation.name)),
      contentType: fc.option(
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc.constantFrom(
              "application/json",
              "application/x-amz-json-1.1",
              "Application/JSON; charset=utf-8",
              "",
            ),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom("text/plain", "application/xml", ";"),
          },
          { weight: 1, arbitrary: headerValue },
        ),
      ),
      qualifier: fc.boolean(),
      chunked: fc.boolean(),
    }),
  );

/** Every mistake in a control-plane request, by the exception that names it (spec §6). */
function controlMistakes(
  request: ControlRequest,
): Set<ServiceExceptionName> | undefined {
  const mistakes = new Set<ServiceExceptionName>();
  const { operation, body } = request;
  const shape = shapeOf(operation.name);
  if (request.contentType !== null) {
    const declared = trimmed(request.contentType);
    const mediaType = (declared.split(";")[0] ?? "").trim().toLowerCase();
    if (
      declared !== "" &&
      !["application/json", "application/x-amz-json-1.1"].includes(mediaType)
    )
      mistakes.add("UnsupportedMediaTypeException");
  }
  if (
    operation.name === "PutProvisionedConcurrencyConfig" &&
    !request.qualifier
  )
    mistakes.add("ValidationException");
  const bytes = controlBytes(body);
  if (bytes.length > operation.limit) {
    mistakes.add("RequestTooLargeException");
    return mistakes;
  }
  if (body.kind !== "members") {
    // An empty body is an empty object.
    const parsed = bytes.length === 0 ? { value: {} } : parsedJson(bytes);
    if (parsed === undefined || !isObject(parsed.value)) {
      mistakes.add("InvalidRequestContentException");
      return mistakes;
    }
    // A JSON object by chance (or on purpose): only its required members are known to matter.
    if (Object.keys(parsed.value).some((key) => key in shape.members))
      return undefined;
    if (shape.required.length > 0) mistakes.add("ValidationException");
    return mistakes;
  }
  const given = new Map(body.members);
  for (const member of shape.required) {
    const value = given.get(member);
    if (value === undefined || value.value === null)
      mistakes.add("ValidationException");
  }
  if (body.members.some(([, value]) => value.wrong))
    mistakes.add("InvalidParameterValueException");
  return mistakes;
}

test("control-plane bodies: wrong types, missing members, garbage, wrong content types are 4xx naming the mistake", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(controlRequest, async (request) => {
      const mistakes = controlMistakes(request);
      const headers: Record<string, string> = {};
      if (request.contentType !== null)
        headers["Content-Type"] = request.contentType;
      if (request.chunked) headers["Transfer-Encoding"] = "chunked";
      const path =
        request.operation.name === "PutProvisionedConcurrencyConfig" &&
        request.qualifier
          ? `${request.operation.path}?Qualifier=1`
          : request.operation.path;
      const reply = await send(h.server.address, {
        method: request.operation.method,
        path,
        headers,
        body: controlBytes(request.body),
      });
      const text = preview(reply);
      assert.ok(reply.status < 500, `${String(reply.status)} ${text}`);
      if (mistakes === undefined) {
        if (reply.status >= 400)
          assertClientError(reply, request.operation.method);
      } else if (mistakes.size > 0) {
        assertNamesAMistake(reply, request.operation.method, mistakes);
      } else {
        assert.equal(reply.status, request.operation.status, text);
        assert.equal(reply.headers["content-type"], "application/json");
        JSON.parse(reply.body.toString("utf8"));
      }
      await assertStillServing(h);
    }),
    runs(h, 400),
  );
});

// ---------------------------------------------------------------------------------------------
// Methods, paths and query strings
// ---------------------------------------------------------------------------------------------

/** Every served path (with the function `f`), and the methods it takes. */
const KNOWN_PATHS: readonly (readonly [string, readonly string[]])[] = [
  ["/", ["GET"]],
  ["/2015-03-31/functions", ["GET", "POST"]],
  ["/2016-08-19/account-settings", ["GET"]],
  ["/2015-03-31/functions/f", ["GET", "DELETE"]],
  ["/2015-03-31/functions/f/invocations", ["POST"]],
  ["/2015-03-31/functions/f/configuration", ["GET", "PUT"]],
  ["/2015-03-31/functions/f/code", ["PUT"]],
  ["/2015-03-31/functions/f/versions", ["GET", "POST"]],
  ["/2021-11-15/functions/f/response-streaming-invocations", ["POST"]],
  ["/2017-10-31/functions/f/concurrency", ["PUT", "DELETE"]],
  ["/2019-09-30/functions/f/concurrency", ["GET"]],
  ["/2019-09-30/functions/f/provisioned-concurrency", ["PUT", "GET", "DELETE"]],
];

const MUTATIONS = [
  ...PATH_MUTATIONS,
  "double-slash",
  "date",
  "extra-segment",
] as const;
type Mutation = (typeof MUTATIONS)[number];

/** `path` with one near-miss mistake: a shared one, or one of the Invoke API's paths. */
function mutate(path: string, mutation: Mutation, at: number): string {
  switch (mutation) {
    case "double-slash":
      return path.replace("/functions", "//functions");
    case "date":
      return path.replace(/^\/\d{4}-\d{2}-\d{2}/, "/2014-11-13");
    case "extra-segment":
      return `${path}/aliases`;
    default:
      return mutatePath(path, mutation, at);
  }
}

/**
 * Characters of a request target as HTTP allows them, unencoded: printable ASCII. Node's parser
 * refuses the rest before thaw sees the request (the raw-socket property sends those).
 */
const anyPathChar = fc
  .integer({ min: 0x21, max: 0x7e })
  .map((code) => String.fromCharCode(code));

/** Each operation's path and method: the requests a client means to send. */
const OPERATIONS: readonly (readonly [string, string])[] = KNOWN_PATHS.flatMap(
  ([path, methods]) => methods.map((method) => [path, method] as const),
);

/** Where a request goes: an operation, a known path with any method, a near miss, or anywhere. */
type RouteTarget =
  | {
      readonly kind: "operation";
      readonly index: number;
      readonly qualifier: string | null;
    }
  | {
      readonly kind: "known" | "near-miss";
      readonly base: number;
      readonly mutation: Mutation;
      readonly at: number;
      readonly method: Method;
    }
  | {
      readonly kind: "any";
      readonly path: string;
      readonly method: Method;
    };

interface RouteRequest {
  readonly target: RouteTarget;
  readonly query: string | null;
  readonly body: Uint8Array;
  readonly accept: string | null;
}

const routeTarget: fc.Arbitrary<RouteTarget> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("operation" as const),
      index: fc.nat({ max: OPERATIONS.length - 1 }),
      qualifier: fc.option(fc.constantFrom("1", "$LATEST", "live")),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom("known" as const, "near-miss" as const),
      base: fc.nat({ max: KNOWN_PATHS.length - 1 }),
      mutation: fc.constantFrom(...MUTATIONS),
      at: fc.nat(),
      method: fc.constantFrom(...METHODS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("any" as const),
      path: anyPath(anyPathChar, [
        "*",
        "//",
        "/2015-03-31/functions/%E0%A4%A",
        "/2015-03-31/functions/f%/invocations",
        "/2015-03-31/functions/f/aliases/live",
        "/2014-11-13/functions/f/invoke-async/",
        "http://127.0.0.1/2015-03-31/functions",
        `/2015-03-31/functions/${"f".repeat(2_000)}/invocations`,
      ]),
      method: fc.constantFrom(...METHODS),
    }),
  },
);

const routeRequest: fc.Arbitrary<RouteRequest> = fc.record({
  target: routeTarget,
  query: fc.option(
    fc.oneof(
      fc.constantFrom(
        "Qualifier=1",
        "Qualifier=%24LATEST",
        "MaxItems=1",
        "FunctionVersion=ALL",
      ),
      fc
        .tuple(
          fc.constantFrom("MaxItems", "Marker", "FunctionVersion", "Qualifier"),
          fc.oneof(
            fc.constantFrom(
              "",
              "0",
              "-1",
              "1.5",
              "abc",
              "ALL",
              "all",
              "%",
              "99999999999999999999",
            ),
            fc.string({ maxLength: 10 }),
          ),
        )
        .map(([key, value]) => `${key}=${encodeURIComponent(value)}`),
      fc.string({ unit: anyPathChar, maxLength: 20 }),
    ),
  ),
  body: fc.uint8Array({ maxLength: 64 }),
  accept: fc.option(fc.oneof(fc.constant("application/json"), headerValue)),
});

/** The method and path of a target, and the methods its path takes when it is a known one. */
function resolveTarget(target: RouteTarget): {
  readonly method: string;
  readonly path: string;
  readonly allowed: readonly string[] | undefined;
} {
  switch (target.kind) {
    case "operation": {
      const [path, method] = OPERATIONS[target.index] ?? ["/", "GET"];
      const query =
        target.qualifier === null
          ? ""
          : `?Qualifier=${encodeURIComponent(target.qualifier)}`;
      return { method, path: `${path}${query}`, allowed: undefined };
    }
    case "known": {
      const [path, allowed] = KNOWN_PATHS[target.base] ?? ["/", ["GET"]];
      return { method: target.method, path, allowed };
    }
    case "near-miss": {
      const [base] = KNOWN_PATHS[target.base] ?? ["/"];
      const path = mutate(base, target.mutation, target.at);
      return { method: target.method, path, allowed: undefined };
    }
    case "any":
      return { method: target.method, path: target.path, allowed: undefined };
  }
}

test("any method, path and query string: never a 5xx, errors in AWS's shape, 405 lists the methods", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(routeRequest, async (request) => {
      const { method, path, allowed } = resolveTarget(request.target);
      const headers: Record<string, string> = {};
      if (request.accept !== null) headers.Accept = request.accept;
      const reply = await send(h.server.address, {
        method,
        path:
          request.query === null
            ? path
            : `${path}${path.includes("?") ? "&" : "?"}${request.query}`,
        headers,
        body: Buffer.from(request.body),
      });
      const text = preview(reply);
      assert.ok(reply.status < 500, `${String(reply.status)} ${text}`);
      if (reply.status >= 400) assertClientError(reply, method);
      if (allowed !== undefined && !allowed.includes(method)) {
        assert.equal(reply.status, 405, text);
        assert.equal(
          reply.headers["x-amzn-errortype"],
          "MethodNotAllowedException",
        );
        assert.equal(reply.headers.allow, allowed.join(", "));
      }
      await assertStillServing(h);
    }),
    runs(h, 400),
  );
});

// ---------------------------------------------------------------------------------------------
// Raw sockets: what no HTTP client would send
// ---------------------------------------------------------------------------------------------

const INVOKE_PATH = "/2015-03-31/functions/echo/invocations";

const ACCOUNT_SETTINGS =
  "GET /2016-08-19/account-settings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

const rawRequest = malformedHttp({
  postTarget: INVOKE_PATH,
  chunkedTarget: INVOKE_PATH,
  requestTargets: [
    INVOKE_PATH,
    "/",
    "",
    "*",
    "functions",
    "/a b",
    "/\u0000",
    "/\u00e9",
    "/?\u00ad",
  ],
  moreBadChunks: ["2\r\n{}\r\n0\r\nBad Trailer\r\n\r\n"],
  moreBadHeaders: [
    "X-Amz-Invocation-Type: Ev\u00ffent\r\n",
    "X-Amz-Client-Context: \u00ff\u00fe\r\n",
  ],
  pipelined: [
    ACCOUNT_SETTINGS,
    "garbage\r\n\r\n",
    postHead(INVOKE_PATH, "2") + "{}",
    postHead(INVOKE_PATH, "abc"),
  ],
  more: [
    // A body declared far over the limit and never sent: answered at once, then closed.
    fc
      .integer({ min: MAX_SYNC_PAYLOAD_BYTES + 1, max: 2 ** 40 })
      .map((length) => ({
        kind: "huge-declared",
        text: postHead(INVOKE_PATH, String(length)) + "{",
      })),
    fc.constant({ kind: "no-host", text: "GET / HTTP/1.1\r\n\r\n" }),
    fc.constant({
      kind: "expect-unknown",
      text: postHead(INVOKE_PATH, "2", "Expect: telepathy\r\n") + "{}",
    }),
  ],
});

test("malformed HTTP on a raw socket: never a 5xx, never a crash, and the server keeps serving", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(rawRequest, async (request) => {
      const received = await sendRaw(
        h.server.address,
        Buffer.from(request.text, "latin1"),
        request.then,
      );
      assertNoServerErrors(received);
      await assertStillServing(h);
    }),
    runs(h, 300),
  );
});

const truncated = fc.record({
  operation: fc.constantFrom(
    "/2015-03-31/functions/echo/invocations",
    "/2021-11-15/functions/echo/response-streaming-invocations",
    "/2015-03-31/functions",
  ),
  body: cutOffBody,
});

test("a body cut off mid-way never reaches the service, and the server keeps serving", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(truncated, async (request) => {
      const calls = h.service.calls.length;
      const received = await sendRaw(
        h.server.address,
        cutOffRequest(request.operation, request.body, 0x20),
        request.body.then,
      );
      assertNoServerErrors(received);
      await assertStillServing(h);
      // Only the liveness check's own Invoke reached the service.
      assert.equal(h.service.calls.length, calls + 1);
    }),
    runs(h, 150),
  );
});

// ---------------------------------------------------------------------------------------------
// Regressions: the cases the properties found, kept as explicit examples
// ---------------------------------------------------------------------------------------------

test("regression: GetProvisionedConcurrencyConfig without a config is a 404, not a 500 (fake service)", async (t) => {
  const h = await startHarness(t);
  const reply = await send(h.server.address, {
    method: "GET",
    path: "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1",
    headers: {},
    body: Buffer.alloc(0),
  });
  assert.equal(
    assertClientError(reply, "GET"),
    "ProvisionedConcurrencyConfigNotFoundException",
  );
  assert.equal(reply.status, 404);
  await assertStillServing(h);
});
