import { test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import {
  crc32,
  decodeEventStreamMessages,
  encodeEventStreamMessage,
} from "./event-stream.js";

/**
 * Known-good frames of the event-stream format, as published with AWS's reference implementation
 * (aws-c-event-stream's `empty_message` and one-string-header test vectors); their CRCs were
 * checked against zlib's CRC32 independently of the code under test.
 */
const EMPTY_MESSAGE = Buffer.from("000000100000000005c248eb7d98c8ff", "hex");
const ONE_STRING_HEADER = Buffer.from(
  "0000003D0000002007FD83960C636F6E74656E742D747970650700106170706C69636174696F6E2F6A736F6E" +
    "7B27666F6F273A27626172277D8D9C08B1",
  "hex",
);

test("encodes the empty message byte for byte", () => {
  assert.deepEqual(
    encodeEventStreamMessage({}, Buffer.alloc(0)),
    EMPTY_MESSAGE,
  );
});

test("encodes a string header and a payload byte for byte", () => {
  const frame = encodeEventStreamMessage(
    { "content-type": "application/json" },
    Buffer.from("{'foo':'bar'}"),
  );
  assert.deepEqual(frame, ONE_STRING_HEADER);
});

test("the CRCs agree with zlib's", () => {
  const frame = encodeEventStreamMessage(
    { ":event-type": "PayloadChunk", ":message-type": "event" },
    Buffer.from("hello, stream"),
  );
  const zlibCrc = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (zlibCrc === undefined) return; // Node < 20.15: the vectors above still hold the table.
  assert.equal(frame.readUInt32BE(8), zlibCrc(frame.subarray(0, 8)));
  assert.equal(
    frame.readUInt32BE(frame.length - 4),
    zlibCrc(frame.subarray(0, frame.length - 4)),
  );
  assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
});

test("decodes the published vectors", () => {
  assert.deepEqual(decodeEventStreamMessages(EMPTY_MESSAGE), [
    { headers: {}, payload: Buffer.alloc(0) },
  ]);
  assert.deepEqual(decodeEventStreamMessages(ONE_STRING_HEADER), [
    {
      headers: { "content-type": "application/json" },
      payload: Buffer.from("{'foo':'bar'}"),
    },
  ]);
});

test("round-trips several messages in one buffer", () => {
  const messages = [
    { headers: { a: "1", ünï: "çødé" }, payload: Buffer.from([0, 1, 2]) },
    { headers: {}, payload: Buffer.alloc(70_000, 7) },
    { headers: { ":event-type": "InvokeComplete" }, payload: Buffer.alloc(0) },
  ];
  const bytes = Buffer.concat(
    messages.map((m) => encodeEventStreamMessage(m.headers, m.payload)),
  );
  assert.deepEqual(decodeEventStreamMessages(bytes), messages);
});

test("the decoder refuses a corrupt or truncated frame", () => {
  const corrupt = Buffer.from(ONE_STRING_HEADER);
  corrupt[20] = 0x41;
  assert.throws(() => decodeEventStreamMessages(corrupt), /message CRC/);
  const badPrelude = Buffer.from(ONE_STRING_HEADER);
  badPrelude[3] = 0x3e;
  assert.throws(() => decodeEventStreamMessages(badPrelude), /prelude CRC/);
  assert.throws(
    () => decodeEventStreamMessages(ONE_STRING_HEADER.subarray(0, 30)),
    /truncated/,
  );
});

test("the decoder reads every header value type", () => {
  // name "b" type 0 (true); "i" type 4 (int32 -2); "s" type 7 (string "x"); "t" type 8 (timestamp 5)
  const headers = Buffer.concat([
    Buffer.from([1, 0x62, 0]),
    Buffer.from([1, 0x69, 4, 0xff, 0xff, 0xff, 0xfe]),
    Buffer.from([1, 0x73, 7, 0, 1, 0x78]),
    Buffer.from([1, 0x74, 8, 0, 0, 0, 0, 0, 0, 0, 5]),
  ]);
  const total = 12 + headers.length + 4;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headers.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  headers.copy(frame, 12);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  assert.deepEqual(decodeEventStreamMessages(frame)[0]?.headers, {
    b: true,
    i: -2,
    s: "x",
    t: new Date(5),
  });
});

test("header names and values over their length fields are refused", () => {
  assert.throws(
    () => encodeEventStreamMessage({ ["n".repeat(256)]: "v" }, Buffer.alloc(0)),
    RangeError,
  );
  assert.throws(
    () => encodeEventStreamMessage({ n: "v".repeat(65_536) }, Buffer.alloc(0)),
    RangeError,
  );
});
