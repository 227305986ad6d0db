/**
 * Property-based tests: a Runtime that sends the Runtime API a malformed request gets a 4xx (the
 * status the spec names for the mistake, §1.2), never a 5xx, and the server stays up and keeps
 * serving well-formed requests. Requests go over real HTTP to a server on port 0 with a real
 * {@link RuntimeChannel}: through `node:http` for anything a client library can send, and through
 * raw `node:net` sockets for what it cannot (broken request lines, lying `Content-Length`, bodies
 * cut off). Before every generated request the channel holds an open Invocation, so each one meets
 * the state in which mistakes matter; after it, a whole `/next` → `/response` cycle must still work.
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
import { MAX_RESPONSE_PAYLOAD_BYTES } from "../protocol/runtime-api.js";
import { deferred } from "../util/deferred.js";
import {
  RuntimeChannel,
  type InitErrorReport,
  type Invocation,
  type RuntimeAnswer,
} from "./runtime-channel.js";
import { RuntimeApiServer } from "./server.js";

const PREFIX = "/2018-06-01/runtime";
const NEXT = `${PREFIX}/invocation/next`;
/** Stands for the open Invocation's request id in generated requests; replaced when sent. */
const CURRENT_ID = "{current}";

/** Whatever escapes the server's handlers, caught instead of killing the file. */
const escapes = catchEscapes();

// ---------------------------------------------------------------------------------------------
// Requests and Invocations of the well-formed kind
// ---------------------------------------------------------------------------------------------

function errorTypeOf(reply: Reply): unknown {
  return (JSON.parse(reply.body.toString("utf8")) as { errorType?: unknown })
    .errorType;
}

/** `GET /next`, as a Runtime asks for its next Invocation. */
function getNext(address: string): Promise<Reply> {
  return send(address, {
    method: "GET",
    path: NEXT,
    headers: {},
    body: Buffer.alloc(0),
  });
}

/** `POST /response` for `requestId` with `body`. */
function postResponse(
  address: string,
  requestId: string,
  body: string,
): Promise<Reply> {
  return send(address, {
    method: "POST",
    path: `${PREFIX}/invocation/${requestId}/response`,
    headers: {},
    body: Buffer.from(body),
  });
}

/** An Invocation of the function `f`, due in a minute, with `fields` added (`{}` as payload). */
function invocation(
  requestId: string,
  fields: Partial<Omit<Invocation, "requestId">> = {},
): Invocation {
  return {
    requestId,
    payload: Buffer.from("{}"),
    deadlineMs: Date.now() + 60_000,
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
    ...fields,
  };
}

/** The client context and Cognito identity `/next` delivered: header-safe, and the same JSON. */
function assertContextDelivered(delivered: Reply, context: string): void {
  for (const header of [
    "lambda-runtime-client-context",
    "lambda-runtime-cognito-identity",
  ]) {
    const value = String(delivered.headers[header]);
    assert.match(value, /^[\t\x20-\x7e]*$/, header);
    assert.deepEqual(JSON.parse(value), JSON.parse(context), header);
  }
}

// ---------------------------------------------------------------------------------------------
// The server under test, always brought back to an open Invocation between requests
// ---------------------------------------------------------------------------------------------

interface Harness {
  readonly channel: RuntimeChannel;
  readonly server: RuntimeApiServer;
  /** The request id of the open Invocation. */
  currentId: string;
  /** The request id of the Invocation before it (answered). */
  previousId: string;
  answer: Promise<RuntimeAnswer> | undefined;
  invocations: number;
}

async function startHarness(t: TestContext): Promise<Harness> {
  const channel = new RuntimeChannel();
  const server = await RuntimeApiServer.start(channel);
  t.after(() => server.close());
  const harness: Harness = {
    channel,
    server,
    currentId: "",
    previousId: "",
    answer: undefined,
    invocations: 0,
  };
  await openInvocation(harness);
  return harness;
}

/**
 * The liveness check: answers the open Invocation if it is still open, then calls `/next` and
 * hands over a new one. Every step must succeed with the status the protocol names.
 *
 * `raced`: a complete request sent on a connection the client then destroyed may still be served
 * after this check has begun (the server reads what arrived before the reset), and may answer the
 * Invocation first; this check's own answer is then a stale id.
 */
async function openInvocation(
  h: Harness,
  options: { readonly raced?: boolean } = {},
): Promise<void> {
  const { address } = h.server;
  if (h.channel.state === "invoking") {
    const done = await postResponse(address, h.currentId, '"ok"');
    // Read again: the state may have moved while the request was out.
    const state: string = h.channel.state;
    const lostRace =
      options.raced === true && done.status === 400 && state === "responded";
    if (!lostRace) assert.equal(done.status, 202, done.body.toString());
  }
  assert.ok(
    h.channel.state === "initializing" || h.channel.state === "responded",
    `unexpected state ${h.channel.state}`,
  );
  const next = getNext(address);
  h.invocations += 1;
  h.previousId = h.currentId;
  h.currentId = `8476a536-e9f4-11e8-9739-${String(h.invocations).padStart(12, "0")}`;
  h.answer = h.channel.dispatch(
    invocation(h.currentId, { payload: Buffer.from('{"n":1}') }),
  );
  const delivered = await next;
  assert.equal(delivered.status, 200);
  assert.equal(delivered.headers["lambda-runtime-aws-request-id"], h.currentId);
  assert.equal(h.channel.state, "invoking");
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const method = fc.constantFrom(...METHODS);
const headerName = fc.stringMatching(/^X-Fuzz-[A-Za-z0-9-]{1,16}$/);

/** A request body, described rather than held, so that a failing case prints readably. */
type BodySpec =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "text"; readonly text: string }
  /** `size` bytes of `a`; around and over the 6 MiB + 100 B limit. */
  | { readonly kind: "filled"; readonly size: number };

const bodySpec: fc.Arbitrary<BodySpec> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constant({ kind: "bytes", bytes: new Uint8Array() } as const),
  },
  {
    weight: 4,
    arbitrary: fc
      .uint8Array({ maxLength: 2048 })
      .map((bytes) => ({ kind: "bytes", bytes }) as const),
  },
  {
    weight: 3,
    arbitrary: fc
      .oneof(fc.json(), fc.string({ maxLength: 200 }), fc.constant("{"))
      .map((text) => ({ kind: "text", text }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constant(MAX_RESPONSE_PAYLOAD_BYTES),
        fc.integer({
          min: MAX_RESPONSE_PAYLOAD_BYTES + 1,
          max: MAX_RESPONSE_PAYLOAD_BYTES + 4096,
        }),
      )
      .map((size) => ({ kind: "filled", size }) as const),
  },
);

function bodyOf(spec: BodySpec): Buffer {
  switch (spec.kind) {
    case "bytes":
      return Buffer.from(spec.bytes);
    case "text":
      return Buffer.from(spec.text, "utf8");
    case "filled":
      return Buffer.alloc(spec.size, 0x61);
  }
}

interface HeaderSpec {
  readonly errorType: string | null;
  readonly responseMode: string | null;
  readonly contentType: string | null;
  readonly xrayCause: string | null;
  readonly expect: string | null;
  readonly chunked: boolean;
  /** Error trailers, sent when the body is chunked. */
  readonly trailerErrorType: string | null;
  readonly trailerErrorBody: string | null;
  readonly extra: readonly (readonly [string, string])[];
}

const headerSpec: fc.Arbitrary<HeaderSpec> = fc.record({
  errorType: fc.option(
    fc.oneof(
      fc.constantFrom("unhandled", "Runtime.ImportModuleError", ""),
      headerValue,
    ),
  ),
  responseMode: fc.option(
    fc.oneof(
      fc.constantFrom("streaming", " streaming ", "Streaming", "buffered", ""),
      headerValue,
    ),
    { freq: 3 },
  ),
  contentType: fc.option(
    fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/vnd.aws.lambda.error.cause+json",
        "text/plain; charset=utf-8",
        "",
      ),
      headerValue,
    ),
  ),
  xrayCause: fc.option(fc.oneof(fc.json(), headerValue), { freq: 4 }),
  // An empty Expect is how curl-based clients suppress it (spec §1.1): it must be ignored.
  expect: fc.option(
    fc.constantFrom("100-continue", "100-Continue", "", "   ", "nope"),
    { freq: 5 },
  ),
  chunked: fc.boolean(),
  trailerErrorType: fc.option(
    fc.oneof(fc.constantFrom("", "errorString"), headerValue),
  ),
  trailerErrorBody: fc.option(
    fc.oneof(
      fc.json().map((text) => Buffer.from(text).toString("base64")),
      headerValue,
    ),
  ),
  extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
});

function headersOf(spec: HeaderSpec): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of spec.extra) headers[name] = value;
  if (spec.errorType !== null)
    headers["Lambda-Runtime-Function-Error-Type"] = spec.errorType;
  if (spec.responseMode !== null)
    headers["Lambda-Runtime-Function-Response-Mode"] = spec.responseMode;
  if (spec.contentType !== null) headers["Content-Type"] = spec.contentType;
  if (spec.xrayCause !== null)
    headers["Lambda-Runtime-Function-XRay-Error-Cause"] = spec.xrayCause;
  if (spec.expect !== null) headers.Expect = spec.expect;
  if (spec.chunked) headers["Transfer-Encoding"] = "chunked";
  return headers;
}

/** The trailers of a chunked request, or none. */
function trailersOf(
  spec: HeaderSpec,
): { trailers: Record<string, string> } | Record<string, never> {
  if (!spec.chunked) return {};
  const trailers: Record<string, string> = {};
  if (spec.trailerErrorType !== null)
    trailers["Lambda-Runtime-Function-Error-Type"] = spec.trailerErrorType;
  if (spec.trailerErrorBody !== null)
    trailers["Lambda-Runtime-Function-Error-Body"] = spec.trailerErrorBody;
  return { trailers };
}

/** The `{requestId}` path segment of a generated `/response` or `/error`. */
type IdSpec =
  | { readonly kind: "current" }
  /** The current id with every character percent-encoded: the same id once decoded. */
  | { readonly kind: "current-encoded" }
  /** The id of the Invocation answered before: stale. */
  | { readonly kind: "previous" }
  | { readonly kind: "empty" }
  /** Any text, percent-encoded. */
  | { readonly kind: "text"; readonly text: string }
  /** Printable ASCII as is, so also broken percent-encoding (`%E0%A4%A`). */
  | { readonly kind: "raw"; readonly segment: string }
  /** A very long id. */
  | { readonly kind: "long"; readonly length: number };

const rawSegmentChar = fc
  .integer({ min: 0x21, max: 0x7e })
  .filter((code) => code !== 0x2f /* / */ && code !== 0x3f /* ? */)
  .map((code) => String.fromCharCode(code));

const idSpec: fc.Arbitrary<IdSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "current" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "current-encoded" } as const) },
  { weight: 2, arbitrary: fc.constant({ kind: "previous" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "empty" } as const) },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
      .map((text) => ({ kind: "text", text }) as const),
  },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: rawSegmentChar, minLength: 1, maxLength: 40 })
      .map((segment) => ({ kind: "raw", segment }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 200, max: 12_000 })
      .map((length) => ({ kind: "long", length }) as const),
  },
);

function segmentOf(spec: IdSpec, h: Harness): string {
  switch (spec.kind) {
    case "current":
      return h.currentId;
    case "current-encoded":
      return [...Buffer.from(h.currentId)]
        .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
        .join("");
    case "previous":
      return h.previousId;
    case "empty":
      return "";
    case "text":
      return encodeURIComponent(spec.text);
    case "raw":
      return spec.segment;
    case "long":
      return "f".repeat(spec.length);
  }
}

/** The id the server sees for `segment`: decoded, or as is when it is not valid percent-encoding. */
function decodedId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

type Target =
  | { readonly kind: "next" }
  | { readonly kind: "ping" }
  | { readonly kind: "init-error" }
  | { readonly kind: "response" | "error"; readonly id: IdSpec };

const target: fc.Arbitrary<Target> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: "next" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "ping" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "init-error" } as const) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom("response" as const, "error" as const),
      id: idSpec,
    }),
  },
);

interface RouteRequest {
  readonly method: Method;
  readonly target: Target;
  readonly query: string | null;
  readonly headers: HeaderSpec;
  readonly body: BodySpec;
}

const routeRequest: fc.Arbitrary<RouteRequest> = fc.record({
  method: fc.oneof(
    { weight: 3, arbitrary: fc.constant("POST" as const) },
    { weight: 1, arbitrary: fc.constant("GET" as const) },
    { weight: 2, arbitrary: method },
  ),
  target,
  query: fc.option(fc.string({ unit: rawSegmentChar, maxLength: 20 }), {
    freq: 4,
  }),
  headers: headerSpec,
  body: bodySpec,
});

function pathOf(request: RouteRequest, h: Harness): string {
  const query = request.query === null ? "" : `?${request.query}`;
  const t = request.target;
  switch (t.kind) {
    case "next":
      return `${NEXT}${query}`;
    case "ping":
      return `/2018-06-01/ping${query}`;
    case "init-error":
      return `${PREFIX}/init/error${query}`;
    case "response":
    case "error":
      return `${PREFIX}/invocation/${segmentOf(t.id, h)}/${t.kind}${query}`;
  }
}

/** What the spec (§1.2) and Node's HTTP handling say the answer is. */
interface Expected {
  readonly status: number;
  /** The `errorType` of the JSON error document, for errors written by thaw. */
  readonly errorType?: string;
  /** True when the request answers the open Invocation. */
  readonly answers: boolean;
}

/** Node's test for an `Expect` it honours; an empty (blank) one is ignored, anything else is 417. */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

function expected(request: RouteRequest, h: Harness): Expected {
  const headers = request.headers;
  if (
    headers.expect !== null &&
    headers.expect.trim() !== "" &&
    !CONTINUE.test(headers.expect)
  )
    return { status: 417, answers: false };
  const size = bodyOf(request.body).length;
  const tooLarge = size > MAX_RESPONSE_PAYLOAD_BYTES;
  const t = request.target;
  const notAllowed = {
    status: 405,
    errorType: "MethodNotAllowed",
    answers: false,
  } as const;
  switch (t.kind) {
    case "next":
      // The Runtime holds an unanswered Invocation: /next is an illegal transition (RIE).
      return request.method === "GET"
        ? { status: 403, errorType: "InvalidStateTransition", answers: false }
        : notAllowed;
    case "ping":
      return request.method === "GET"
        ? { status: 200, answers: false }
        : notAllowed;
    case "init-error":
      if (request.method !== "POST") return notAllowed;
      // Init has ended; a document too large to read is refused before the state is looked at.
      return tooLarge
        ? { status: 400, errorType: "InvalidRequestFormat", answers: false }
        : { status: 403, errorType: "InvalidStateTransition", answers: false };
    case "response":
    case "error": {
      const segment = segmentOf(t.id, h);
      // An empty id matches no route (RIE's router neither).
      if (segment === "")
        return { status: 404, errorType: "NotFound", answers: false };
      if (request.method !== "POST") return notAllowed;
      // The id is checked before anything else changes state (spec §1.2, RIE).
      if (decodedId(segment) !== h.currentId)
        return { status: 400, errorType: "InvalidRequestID", answers: false };
      const mode =
        headers.responseMode === null
          ? undefined
          : trimmed(headers.responseMode);
      if (t.kind === "response" && mode !== undefined && mode !== "streaming")
        return {
          status: 400,
          errorType: "InvalidFunctionResponseMode",
          answers: true,
        };
      if (tooLarge)
        return {
          status: 413,
          errorType: "RequestEntityTooLarge",
          answers: true,
        };
      return { status: 202, answers: true };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Properties over node:http
// ---------------------------------------------------------------------------------------------

test("every request to a known route gets the status the spec names, and the server keeps serving", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(routeRequest, async (request) => {
      const want = expected(request, h);
      const reply = await send(h.server.address, {
        method: request.method,
        path: pathOf(request, h),
        headers: headersOf(request.headers),
        body: bodyOf(request.body),
        ...trailersOf(request.headers),
      });
      const text = reply.body.toString("utf8");
      assert.equal(reply.status, want.status, text);
      if (want.errorType !== undefined && request.method !== "HEAD") {
        assert.equal(reply.headers["content-type"], "application/json");
        assert.equal(errorTypeOf(reply), want.errorType, text);
      }
      if (reply.status === 202)
        assert.deepEqual(JSON.parse(text), { status: "OK" });
      // A mistake leaves the Invocation open; only an answer to its own id closes it.
      assert.equal(
        h.channel.state,
        want.answers ? "responded" : "invoking",
        `state after ${String(reply.status)}`,
      );
      await openInvocation(h);
      escapes.assertNone();
    }),
    escapes.runs(400),
  );
});

/** A request while the Runtime is still initialising: it reports an init error, or answers early. */
interface InitRequest {
  readonly method: Method;
  readonly target:
    | { readonly kind: "init-error" }
    | { readonly kind: "response" | "error"; readonly id: string };
  readonly headers: HeaderSpec;
  readonly body: BodySpec;
}

const initRequest: fc.Arbitrary<InitRequest> = fc.record({
  method: fc.oneof(
    { weight: 4, arbitrary: fc.constant("POST" as const) },
    { weight: 1, arbitrary: method },
  ),
  target: fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: "init-error" } as const) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constantFrom("response" as const, "error" as const),
        id: fc.string({ unit: rawSegmentChar, minLength: 1, maxLength: 40 }),
      }),
    },
  ),
  headers: headerSpec,
  body: bodySpec,
});

test("during init: an init error is taken verbatim, an early answer is 403, never a 5xx", async (t) => {
  const reports: InitErrorReport[] = [];
  // Nobody calls /next, so the channel stays in init for the whole property.
  const channel = new RuntimeChannel({
    onInitError: (report) => reports.push(report),
  });
  const server = await RuntimeApiServer.start(channel);
  t.after(() => server.close());
  await fc.assert(
    fc.asyncProperty(initRequest, async (request) => {
      reports.length = 0;
      const body = bodyOf(request.body);
      const path =
        request.target.kind === "init-error"
          ? `${PREFIX}/init/error`
          : `${PREFIX}/invocation/${request.target.id}/${request.target.kind}`;
      const reply = await send(server.address, {
        method: request.method,
        path,
        headers: headersOf(request.headers),
        body,
        ...trailersOf(request.headers),
      });
      const text = reply.body.toString("utf8");
      const expect = request.headers.expect;
      if (expect !== null && expect.trim() !== "" && !CONTINUE.test(expect)) {
        assert.equal(reply.status, 417);
      } else if (request.method !== "POST") {
        assert.equal(reply.status, 405, text);
      } else if (request.target.kind !== "init-error") {
        // No Invocation exists yet.
        assert.equal(reply.status, 403, text);
        assert.equal(errorTypeOf(reply), "InvalidStateTransition");
      } else if (body.length > MAX_RESPONSE_PAYLOAD_BYTES) {
        assert.equal(reply.status, 400, text);
        assert.equal(errorTypeOf(reply), "InvalidRequestFormat");
      } else {
        assert.equal(reply.status, 202, text);
        // Stored and forwarded verbatim (spec §1.4), with the header's error type (compared when
        // ASCII: Node's client sends other characters as UTF-8, its server reads Latin-1).
        assert.equal(reports.length, 1);
        assert.ok(reports[0]?.body.equals(body), "the body changed");
        const header = request.headers.errorType;
        if (header === null) assert.equal(reports[0]?.errorType, undefined);
        else if (/^[\t\x20-\x7e]*$/.test(header))
          assert.equal(reports[0]?.errorType, trimmed(header));
      }
      assert.equal(channel.state, "initializing");
      escapes.assertNone();
    }),
    escapes.runs(200),
  );
});

/** Paths a Runtime might mistype, and the routes of APIs thaw does not serve on this port. */
const ROUTE_PATHS = [
  NEXT,
  `${PREFIX}/invocation/${CURRENT_ID}/response`,
  `${PREFIX}/invocation/${CURRENT_ID}/error`,
  `${PREFIX}/init/error`,
  `${PREFIX}/restore/next`,
  `${PREFIX}/restore/error`,
  "/2018-06-01/ping",
  "/2020-01-01/extension/register",
  "/2020-01-01/extension/event/next",
  "/2022-07-01/telemetry",
  "/2021-04-23/credentials",
] as const;

const MUTATIONS = [
  ...PATH_MUTATIONS,
  "double-slash",
  "version",
  "dot-segment",
  "repeat",
] as const;

type Mutation = (typeof MUTATIONS)[number];

/** `path` with one near-miss mistake: a shared one, or one of the Runtime API's paths. */
function mutate(path: string, mutation: Mutation, at: number): string {
  switch (mutation) {
    case "double-slash":
      return path.replace("/", "//");
    case "version":
      return path.replace("2018-06-01", "2018-06-02");
    case "dot-segment":
      return path.replace("/runtime/", "/runtime/./");
    case "repeat":
      return `${path}${path}`;
    default:
      return mutatePath(path, mutation, at);
  }
}

interface LooseRequest {
  readonly method: Method;
  readonly path:
    | {
        readonly kind: "near-miss";
        readonly base: string;
        readonly mutation: Mutation;
        readonly at: number;
      }
    | { readonly kind: "any"; readonly path: string };
  readonly headers: HeaderSpec;
  readonly body: BodySpec;
}

const anyPathChar = fc
  .integer({ min: 0x21, max: 0xff })
  .map((code) => String.fromCharCode(code));

const looseRequest: fc.Arbitrary<LooseRequest> = fc.record({
  method,
  path: fc.oneof(
    fc.record({
      kind: fc.constant("near-miss" as const),
      base: fc.constantFrom(...ROUTE_PATHS),
      mutation: fc.constantFrom(...MUTATIONS),
      at: fc.nat(),
    }),
    fc.record({
      kind: fc.constant("any" as const),
      path: anyPath(anyPathChar, [
        "*",
        "/",
        "//",
        "http://127.0.0.1:9001/2018-06-01/ping",
        "/2018-06-01/runtime/invocation/a/b/response",
        `/${"a".repeat(20_000)}`,
      ]),
    }),
  ),
  headers: headerSpec,
  body: bodySpec,
});

test("any method, path and headers: never a 5xx, and the server keeps serving", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(looseRequest, async (request) => {
      const path =
        request.path.kind === "any"
          ? request.path.path
          : mutate(
              request.path.base.replace(CURRENT_ID, h.currentId),
              request.path.mutation,
              request.path.at,
            );
      const reply = await send(h.server.address, {
        method: request.method,
        path,
        headers: headersOf(request.headers),
        body: bodyOf(request.body),
      });
      const text = reply.body.toString("utf8");
      assert.ok(reply.status < 500, `${String(reply.status)} ${text}`);
      if (
        reply.status >= 400 &&
        reply.headers["content-type"] === "application/json" &&
        request.method !== "HEAD"
      ) {
        const document = JSON.parse(text) as Record<string, unknown>;
        assert.equal(typeof document.errorType, "string", text);
        assert.equal(typeof document.errorMessage, "string", text);
      }
      await openInvocation(h);
      escapes.assertNone();
    }),
    escapes.runs(300),
  );
});

// ---------------------------------------------------------------------------------------------
// Properties over raw sockets: what no HTTP client would send
// ---------------------------------------------------------------------------------------------

/** Where a well-formed `POST /response` for the open Invocation goes. */
const RESPONSE_PATH = `${PREFIX}/invocation/${CURRENT_ID}/response`;

const PING = "GET /2018-06-01/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/** Raw requests; `{current}` is replaced by the open Invocation's id when one is sent. */
const rawRequest = malformedHttp({
  postTarget: RESPONSE_PATH,
  chunkedTarget: `${PREFIX}/invocation/${CURRENT_ID}/error`,
  requestTargets: [
    NEXT,
    "/2018-06-01/ping",
    "",
    "*",
    "ping",
    "/a b",
    "/\u0000",
  ],
  moreVersions: ["HTTP/9.9"],
  moreBadChunks: [
    "3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n",
    "3;ext=\u0001\r\nabc\r\n0\r\n\r\n",
  ],
  moreBadHeaders: [
    ": empty-name\r\n",
    "Lambda-Runtime-Function-Response-Mode: stream\u00ffing\r\n",
  ],
  pipelined: [PING, "garbage\r\n\r\n", postHead(RESPONSE_PATH, "abc")],
  more: [
    // HTTP/1.1 requires Host; HTTP/1.0 does not.
    fc.constant({
      kind: "no-host",
      text: "GET /2018-06-01/ping HTTP/1.1\r\n\r\n",
    }),
    fc.constant({
      kind: "http-1.0",
      text: "GET /2018-06-01/ping HTTP/1.0\r\n\r\n",
    }),
    fc.constant({
      kind: "upgrade",
      text: "GET /2018-06-01/ping HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    }),
  ],
});

test("malformed HTTP on a raw socket: never a 5xx, never a crash, and the server keeps serving", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(rawRequest, async (request) => {
      const text = request.text.replaceAll(CURRENT_ID, h.currentId);
      const received = await sendRaw(
        h.server.address,
        Buffer.from(text, "latin1"),
        request.then,
      );
      assertNoServerErrors(received);
      await openInvocation(h, { raced: request.then === "destroy" });
      escapes.assertNone();
    }),
    escapes.runs(300),
  );
});

/** Requests whose body ends early: the head is whole, the body is shorter than declared. */
const truncated = fc.record({
  route: fc.constantFrom("response", "error", "init/error"),
  body: cutOffBody,
});

test("a body cut off mid-way never answers the Invocation, and the server keeps serving", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(truncated, async (request) => {
      const path =
        request.route === "init/error"
          ? `${PREFIX}/init/error`
          : `${PREFIX}/invocation/${h.currentId}/${request.route}`;
      const received = await sendRaw(
        h.server.address,
        cutOffRequest(path, request.body, 0x62),
        request.body.then,
      );
      assertNoServerErrors(received);
      // The Runtime never finished its answer: the Invocation is still open (spec §1.2: 400
      // TruncatedHTTPRequest, when anyone is left to hear it).
      assert.equal(h.channel.state, "invoking");
      await openInvocation(h);
      escapes.assertNone();
    }),
    escapes.runs(150),
  );
});

// ---------------------------------------------------------------------------------------------
// What a caller sends through to the Runtime
// ---------------------------------------------------------------------------------------------

/** A client context as a caller may write it: any JSON object, compact or pretty-printed. */
const clientContextText = fc
  .tuple(
    fc.dictionary(
      fc.string({ unit: "binary", maxLength: 10 }),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    ),
    fc.constantFrom(undefined, 0, 2, "\t", "\r\n"),
  )
  .map(([value, indent]) =>
    // JSON.stringify takes a string indent as is; a CRLF one makes CRLF line breaks.
    typeof indent === "string" && indent.includes("\n")
      ? JSON.stringify(value, null, 1).replaceAll("\n", indent)
      : JSON.stringify(value, null, indent),
  );

test("any JSON object as client context and Cognito identity reaches /next as the same JSON", async (t) => {
  const h = await startHarness(t);
  await fc.assert(
    fc.asyncProperty(clientContextText, async (clientContext) => {
      // Answer the open Invocation, then hand over one that carries the context.
      const done = await postResponse(h.server.address, h.currentId, "{}");
      assert.equal(done.status, 202);
      const next = getNext(h.server.address);
      h.invocations += 1;
      h.previousId = h.currentId;
      h.currentId = `context-${String(h.invocations)}`;
      h.answer = h.channel.dispatch(
        invocation(h.currentId, {
          clientContext,
          cognitoIdentity: clientContext,
        }),
      );
      const delivered = await next;
      assert.equal(delivered.status, 200);
      assertContextDelivered(delivered, clientContext);
      escapes.assertNone();
    }),
    escapes.runs(200),
  );
});

// ---------------------------------------------------------------------------------------------
// Regressions: the cases the properties found, kept as explicit examples
// ---------------------------------------------------------------------------------------------

test("regression: an empty Expect header is ignored, not answered with 417 (spec §1.1)", async (t) => {
  const h = await startHarness(t);
  const reply = await send(h.server.address, {
    method: "POST",
    path: `${PREFIX}/invocation/${h.currentId}/response`,
    headers: { Expect: "" },
    body: Buffer.from('"done"'),
  });
  assert.equal(reply.status, 202);
  const answer = await h.answer;
  assert.equal(
    answer?.kind === "response" ? answer.body.toString() : "",
    '"done"',
  );
  const other = await send(h.server.address, {
    method: "GET",
    path: "/2018-06-01/ping",
    headers: { Expect: "something-else" },
    body: Buffer.alloc(0),
  });
  assert.equal(other.status, 417);
});

/**
 * Client contexts that are valid JSON but not valid header text: a line break between tokens, and
 * characters outside Latin-1 in a string. The caller's Invoke was fine; the Runtime must get the
 * Invocation, with the same JSON.
 */
const AWKWARD_CLIENT_CONTEXTS = [
  '{\n  "custom": {"a": "b"}\r\n}',
  '{"custom":{"greeting":"h\u00e9llo \u20ac \ud83d\ude00"}}',
  '{"custom":{"del":"\u007f"}}',
];

test("regression: a client context with line breaks or non-Latin-1 text still reaches /next (parked first)", async (t) => {
  let parked = deferred<undefined>();
  // Both events fire just before the /next is parked, in the same turn: awaiting one is enough.
  const channel = new RuntimeChannel({
    onReady: () => {
      parked.resolve(undefined);
    },
    onIdle: () => {
      parked.resolve(undefined);
    },
  });
  const server = await RuntimeApiServer.start(channel);
  t.after(() => server.close());
  for (const [index, clientContext] of AWKWARD_CLIENT_CONTEXTS.entries()) {
    const requestId = `r-${String(index)}`;
    parked = deferred<undefined>();
    const next = getNext(server.address);
    await parked.promise;
    assert.equal(channel.state, "idle");
    const answer = channel.dispatch(
      invocation(requestId, { clientContext, cognitoIdentity: clientContext }),
    );
    const delivered = await next;
    assert.equal(delivered.status, 200);
    assertContextDelivered(delivered, clientContext);
    const posted = await postResponse(server.address, requestId, "{}");
    assert.equal(posted.status, 202);
    assert.equal((await answer).kind, "response");
  }
  escapes.assertNone();
});

test("regression: a client context with non-Latin-1 text still reaches /next (queued first)", async (t) => {
  const channel = new RuntimeChannel();
  const server = await RuntimeApiServer.start(channel);
  t.after(() => server.close());
  const clientContext = AWKWARD_CLIENT_CONTEXTS[1] ?? "";
  const answer = channel.dispatch(invocation("queued", { clientContext }));
  const delivered = await getNext(server.address);
  assert.equal(delivered.status, 200);
  assert.deepEqual(
    JSON.parse(String(delivered.headers["lambda-runtime-client-context"])),
    JSON.parse(clientContext),
  );
  const posted = await postResponse(server.address, "queued", "{}");
  assert.equal(posted.status, 202);
  assert.equal((await answer).kind, "response");
  escapes.assertNone();
});
