/**
 * What the property tests that throw malformed requests at thaw's two HTTP servers (the Invoke API
 * and the Runtime API, each on port 0) have in common: sending a request through `node:http`, or
 * raw bytes on a `node:net` socket for what no HTTP client would send; catching whatever escapes
 * the server instead of letting it kill the test file; and the arbitraries both draw from (header
 * values, methods, near-miss and arbitrary paths, malformed HTTP, bodies cut off mid-way). Each
 * test file keeps what is its server's own: its routes, its harness, what it expects.
 */
import { after } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import fc from "fast-check";
import { assertNoLeaks } from "./leaks.js";

/** How long one request may take before the test calls it a hang. */
const REQUEST_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Crashes: anything that escapes the server ends up here instead of killing the file.
// ---------------------------------------------------------------------------------------------

/** What escaped the server under test: uncaught exceptions and unhandled rejections. */
export interface Escapes {
  /** Fails when anything escaped since the current run began. */
  assertNone(): void;
  /**
   * fast-check parameters of a property over a live server: `numRuns` runs, the error in the
   * report, and before each run `forget` (when given), then what escaped in earlier runs,
   * forgotten, so that a failure is pinned on its own run.
   */
  runs<Ts>(numRuns: number, forget?: () => void): fc.Parameters<Ts>;
}

/**
 * Catches whatever escapes the server from now on, instead of letting it kill the test file; once
 * the file's tests are done, stops catching and checks that nothing leaked ({@link assertNoLeaks}).
 * Call it once, at the top of the test file.
 */
export function catchEscapes(): Escapes {
  const escaped: unknown[] = [];
  const onEscaped = (error: unknown): void => {
    escaped.push(error);
  };
  process.on("uncaughtException", onEscaped);
  process.on("unhandledRejection", onEscaped);
  after(async () => {
    process.off("uncaughtException", onEscaped);
    process.off("unhandledRejection", onEscaped);
    await assertNoLeaks();
  });
  return {
    assertNone() {
      assert.deepEqual(escaped, [], "an exception escaped the server");
    },
    runs(numRuns, forget) {
      return {
        numRuns,
        includeErrorInReport: true,
        plugins: [
          fc.beforeEach(() => {
            forget?.();
            escaped.length = 0;
          }),
        ],
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

/** An answer, read in full. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A request as `node:http` sends it. */
export interface Outgoing {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Sent after a chunked body (the Go client declares its error in trailers, spec §1.5). */
  readonly trailers?: Readonly<Record<string, string>>;
}

/** `host:port` (the host in brackets when IPv6) as its two parts. */
function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  return {
    host: address.slice(0, colon).replace(/^\[(.*)\]$/, "$1"),
    port: Number(address.slice(colon + 1)),
  };
}

/**
 * The request's headers, with `Content-Length` for a body that is not sent in chunks: Node's client
 * frames a GET's body with neither, and the server would read it as a second, broken request.
 */
function framed(outgoing: Outgoing): Record<string, string> {
  const chunked = Object.entries(outgoing.headers).some(
    ([name, value]) =>
      name.toLowerCase() === "transfer-encoding" && value === "chunked",
  );
  return chunked || outgoing.body.length === 0
    ? { ...outgoing.headers }
    : { ...outgoing.headers, "Content-Length": String(outgoing.body.length) };
}

/**
 * One request to `address` (`host:port`) on its own connection; rejects on a connection error or
 * after the timeout.
 */
export function send(address: string, outgoing: Outgoing): Promise<Reply> {
  const { host, port } = hostAndPort(address);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent: false,
        host,
        port,
        method: outgoing.method,
        path: outgoing.path,
        headers: framed(outgoing),
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => {
      req.destroy(
        new Error(`no answer to ${outgoing.method} ${outgoing.path}`),
      );
    });
    // The server may answer (413) and close before the whole body is written.
    req.on("error", reject);
    if (outgoing.trailers !== undefined) req.addTrailers(outgoing.trailers);
    req.end(outgoing.body);
  });
}

/**
 * Writes `bytes` on a raw connection to `address` (`host:port`), then ends or destroys it; resolves
 * what the connection received before it closed (latin1), or up to the timeout.
 */
export function sendRaw(
  address: string,
  bytes: Buffer,
  then: "end" | "destroy",
): Promise<string> {
  const { host, port } = hostAndPort(address);
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
    }, REQUEST_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(bytes, () => {
      if (then === "end") socket.end();
      else socket.destroy();
    });
  });
}

/** Fails when any response head in `received` (from {@link sendRaw}) has a 5xx status. */
export function assertNoServerErrors(received: string): void {
  for (const match of received.matchAll(/HTTP\/1\.[01] (\d{3}) /g))
    assert.ok(Number(match[1]) < 500, received);
}

// ---------------------------------------------------------------------------------------------
// Headers, methods and paths
// ---------------------------------------------------------------------------------------------

/** Characters a header value may hold on the wire (Node refuses the others before sending). */
const headerChar = fc
  .oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.constant(0x09),
    fc.integer({ min: 0x80, max: 0xff }),
  )
  .map((code) => String.fromCharCode(code));

/** Any header value Node's client sends, up to 60 characters. */
export const headerValue = fc.string({ unit: headerChar, maxLength: 60 });

/** What the server sees of a header value: llhttp drops leading and trailing spaces and tabs. */
export function trimmed(value: string): string {
  return value.replace(/^[ \t]+|[ \t]+$/g, "");
}

/** Methods Node's parser knows (an unknown one is a parser error, covered by the raw properties). */
export const METHODS = [
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "HEAD",
  "OPTIONS",
  "TRACE",
  "PROPFIND",
] as const;

/** One of {@link METHODS}. */
export type Method = (typeof METHODS)[number];

/** Near-miss mistakes any path can carry; each server's tests add their own (a wrong date…). */
export const PATH_MUTATIONS = [
  "upper",
  "drop",
  "trailing-slash",
  "encode",
  "suffix",
  "none",
] as const;

/** One of {@link PATH_MUTATIONS}. */
export type PathMutation = (typeof PATH_MUTATIONS)[number];

/** `path` with one near-miss mistake, at a position chosen by `at`. */
export function mutatePath(
  path: string,
  mutation: PathMutation,
  at: number,
): string {
  // Never the leading `/`: a target without it is an HTTP error, which Node answers itself.
  const i = 1 + (at % Math.max(1, path.length - 1));
  switch (mutation) {
    case "upper":
      return (
        path.slice(0, i) + path.charAt(i).toUpperCase() + path.slice(i + 1)
      );
    case "drop":
      return path.slice(0, i) + path.slice(i + 1);
    case "trailing-slash":
      return `${path}/`;
    case "encode":
      if (i >= path.length) return `${path}%41`;
      return (
        path.slice(0, i) +
        `%${path.charCodeAt(i).toString(16).padStart(2, "0")}` +
        path.slice(i + 1)
      );
    case "suffix":
      return `${path}x`;
    case "none":
      return path;
  }
}

/** Any path: a web path, `/` and up to 80 characters of `pathChar`, or one of `oddities`. */
export function anyPath(
  pathChar: fc.Arbitrary<string>,
  oddities: readonly string[],
): fc.Arbitrary<string> {
  return fc.oneof(
    fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
    fc.string({ unit: pathChar, maxLength: 80 }).map((p) => `/${p}`),
    fc.constantFrom(...oddities),
  );
}

// ---------------------------------------------------------------------------------------------
// Raw sockets: what no HTTP client would send
// ---------------------------------------------------------------------------------------------

/** The head of a `POST target` with `Content-Length: length`, then the `extra` header lines. */
export function postHead(target: string, length: string, extra = ""): string {
  return (
    `POST ${target} HTTP/1.1\r\n` +
    `Host: 127.0.0.1\r\nContent-Length: ${length}\r\n${extra}\r\n`
  );
}

/** Bytes for a raw socket (latin1), named by the mistake they carry. */
export interface RawCase {
  readonly kind: string;
  readonly text: string;
}

/** A {@link RawCase}, and whether the socket is then ended or destroyed. */
export interface RawRequest extends RawCase {
  readonly then: "end" | "destroy";
}

/** What {@link malformedHttp} builds its requests around: the server's routes and headers. */
export interface MalformedHttpOptions {
  /** Where a POST with a body goes (with a lying or doubled `Content-Length`, a bad header). */
  readonly postTarget: string;
  /** Where a POST with broken chunked framing goes. */
  readonly chunkedTarget: string;
  /** Request targets put between broken methods and versions. */
  readonly requestTargets: readonly string[];
  /** HTTP versions besides the shared ones. @default none */
  readonly moreVersions?: readonly string[];
  /** Chunked bodies with broken framing, besides the shared ones. */
  readonly moreBadChunks: readonly string[];
  /** Header lines no parser should accept (each with its CRLF), besides the shared ones. */
  readonly moreBadHeaders: readonly string[];
  /** Requests, some broken, of which two to four are sent on one connection. */
  readonly pipelined: readonly string[];
  /** The server's own cases, each as likely as one of the shared ones. */
  readonly more: readonly fc.Arbitrary<RawCase>[];
}

/** HTTP versions, right and wrong, for a request line. */
const VERSIONS = [
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/2.0",
  "HTTP/1.1x",
  "http/1.1",
  "",
];

/** Chunked bodies whose framing is broken whatever the route. */
const BAD_CHUNKS = [
  "zz\r\nabc\r\n0\r\n\r\n",
  "-1\r\nabc\r\n0\r\n\r\n",
  "ffffffffffffffffff\r\nabc",
  "3\r\nabcdef\r\n0\r\n\r\n",
  "3\r\nabc",
];

/** Header lines no parser should accept, whatever the route. */
const BAD_HEADERS = [
  "X-A: a\u0000b\r\n",
  "X-A: a\nX-B: b\r\n",
  " folded: value\r\n",
  "X A: b\r\n",
  `X-Big: ${"b".repeat(20_000)}\r\n`,
];

const latin1 = fc
  .uint8Array({ minLength: 1, maxLength: 300 })
  .map((bytes) => Buffer.from(bytes).toString("latin1"));

/**
 * Malformed HTTP/1.1: bytes that are not HTTP at all, broken request lines, a `Content-Length`
 * that lies, does not parse or fights `Transfer-Encoding`, broken chunked framing, bad headers,
 * the server's own cases, and several requests pipelined on one connection.
 */
export function malformedHttp(
  options: MalformedHttpOptions,
): fc.Arbitrary<RawRequest> {
  const head = (length: string, extra?: string): string =>
    postHead(options.postTarget, length, extra);
  return fc
    .tuple(
      fc.oneof(
        latin1.map((text) => ({ kind: "garbage", text })),
        latin1.map((text) => ({
          kind: "garbage-head",
          text: `${text}\r\n\r\n`,
        })),
        fc
          .tuple(
            fc.constantFrom("GET", "get", "POST", "FOO", "G ET", "", "CONNECT"),
            fc.constantFrom(...options.requestTargets),
            fc.constantFrom(...VERSIONS, ...(options.moreVersions ?? [])),
          )
          .map(([m, p, v]) => ({
            kind: "request-line",
            text: `${m} ${p} ${v}\r\nHost: 127.0.0.1\r\n\r\n`,
          })),
        fc
          .tuple(
            fc.constantFrom(
              "abc",
              "-1",
              "1e3",
              "0x10",
              "5, 6",
              "99999999999999999999",
              "",
              "+5",
            ),
            latin1,
          )
          .map(([length, body]) => ({
            kind: "bad-content-length",
            text: head(length) + body,
          })),
        latin1.map((body) => ({
          kind: "two-content-lengths",
          text: head("1", "Content-Length: 2\r\n") + body,
        })),
        latin1.map((body) => ({
          kind: "content-length-and-chunked",
          text:
            head(String(body.length), "Transfer-Encoding: chunked\r\n") + body,
        })),
        fc
          .constantFrom(...BAD_CHUNKS, ...options.moreBadChunks)
          .map((chunks) => ({
            kind: "bad-chunks",
            text:
              `POST ${options.chunkedTarget} HTTP/1.1\r\n` +
              `Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`,
          })),
        fc
          .constantFrom(...BAD_HEADERS, ...options.moreBadHeaders)
          .map((header) => ({
            kind: "bad-header",
            text: head("2", header) + "{}",
          })),
        ...options.more,
        fc
          .array(fc.constantFrom(...options.pipelined), {
            minLength: 2,
            maxLength: 4,
          })
          .map((parts) => ({ kind: "pipelined", text: parts.join("") })),
      ),
      fc.constantFrom("end" as const, "destroy" as const),
    )
    .map(([request, then]) => ({ ...request, then }));
}

/** A POST whose head is whole and whose body stops short of what it declares. */
export interface CutOffBody {
  /** The body's declared length, in `Content-Length` or as the one chunk's size. */
  readonly declared: number;
  /** The share of `declared` sent before the socket is ended or destroyed. */
  readonly sentFraction: number;
  readonly chunked: boolean;
  readonly then: "end" | "destroy";
}

/** Bodies declared 2 B to 100 kB long, of which at most 99 % is sent. */
export const cutOffBody: fc.Arbitrary<CutOffBody> = fc.record({
  declared: fc.integer({ min: 2, max: 100_000 }),
  sentFraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
  chunked: fc.boolean(),
  then: fc.constantFrom("end" as const, "destroy" as const),
});

/** The bytes of a `POST target` with `body` cut off, the body made of the byte `fill`. */
export function cutOffRequest(
  target: string,
  body: CutOffBody,
  fill: number,
): Buffer {
  const sent = Math.floor(body.declared * body.sentFraction);
  const framing = body.chunked
    ? `Transfer-Encoding: chunked\r\n\r\n${body.declared.toString(16)}\r\n`
    : `Content-Length: ${String(body.declared)}\r\n\r\n`;
  const head = `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${framing}`;
  return Buffer.concat([Buffer.from(head), Buffer.alloc(sent, fill)]);
}
