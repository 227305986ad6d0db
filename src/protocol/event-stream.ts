/**
 * The AWS event-stream binary framing (`application/vnd.amazon.eventstream`, spec §5.5), as
 * InvokeWithResponseStream sends it: each message is
 * `[u32 total length][u32 headers length][u32 CRC32 of those 8 bytes][headers][payload][u32 CRC32
 * of everything before it]`, big-endian, CRC32 = IEEE 802.3 (zlib's). A header is
 * `[u8 name length][name][u8 value type][value]`; thaw only sends strings (type 7:
 * `[u16 length][UTF-8 bytes]`). The decoder reads every value type and exists for tests and tools.
 * No I/O here.
 */
import * as zlib from "node:zlib";

/** Bytes before the headers: total length, headers length, prelude CRC. */
const PRELUDE_BYTES = 12;
/** The message CRC at the end. */
const TRAILER_BYTES = 4;
/** Header value type of a UTF-8 string. */
const STRING_TYPE = 7;

/** A header value as the decoder returns it, by wire type. */
export type EventStreamHeaderValue =
  boolean | number | bigint | string | Buffer | Date;

/** One decoded message. */
export interface EventStreamMessage {
  readonly headers: Readonly<Record<string, EventStreamHeaderValue>>;
  readonly payload: Buffer;
}

/**
 * Node 20.15 added `zlib.crc32`; `engines` allows older 20.x, where a table does the same sum.
 * A namespace import, because a named import of a missing export fails at link time.
 */
const nativeCrc32 = (
  zlib as { crc32?: (data: Uint8Array, value?: number) => number }
).crc32;

let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data)
    crc = (table[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC32 (IEEE), as event-stream frames carry it. */
export const crc32: (data: Uint8Array) => number =
  nativeCrc32 === undefined ? tableCrc32 : (data) => nativeCrc32(data);

/**
 * Encodes one message whose headers are all strings, in the order given.
 * @throws {RangeError} when a header name is longer than 255 bytes or a value than 65,535 bytes.
 */
export function encodeEventStreamMessage(
  headers: Readonly<Record<string, string>>,
  payload: Uint8Array,
): Buffer {
  const entries = Object.entries(headers).map(
    ([name, value]) =>
      [Buffer.from(name, "utf8"), Buffer.from(value, "utf8")] as const,
  );
  let headersLength = 0;
  for (const [name, value] of entries) {
    if (name.length > 0xff)
      throw new RangeError("event-stream header name over 255 bytes");
    if (value.length > 0xffff)
      throw new RangeError("event-stream header value over 65535 bytes");
    headersLength += 1 + name.length + 1 + 2 + value.length;
  }
  const total = PRELUDE_BYTES + headersLength + payload.length + TRAILER_BYTES;
  const frame = Buffer.allocUnsafe(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headersLength, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  let at = PRELUDE_BYTES;
  for (const [name, value] of entries) {
    frame.writeUInt8(name.length, at);
    at += 1;
    at += name.copy(frame, at);
    frame.writeUInt8(STRING_TYPE, at);
    frame.writeUInt16BE(value.length, at + 1);
    at += 3;
    at += value.copy(frame, at);
  }
  frame.set(payload, at);
  at += payload.length;
  frame.writeUInt32BE(crc32(frame.subarray(0, at)), at);
  return frame;
}

/**
 * Decodes every message of `bytes`, which must hold whole messages only.
 * @throws {Error} on a truncated frame, a CRC mismatch or an unknown header type.
 */
export function decodeEventStreamMessages(
  bytes: Uint8Array,
): EventStreamMessage[] {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: EventStreamMessage[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < PRELUDE_BYTES + TRAILER_BYTES)
      throw new Error(`truncated prelude at byte ${offset}`);
    const total = data.readUInt32BE(offset);
    const headersLength = data.readUInt32BE(offset + 4);
    if (
      data.readUInt32BE(offset + 8) !== crc32(data.subarray(offset, offset + 8))
    )
      throw new Error(`prelude CRC mismatch at byte ${offset}`);
    if (
      total < PRELUDE_BYTES + headersLength + TRAILER_BYTES ||
      offset + total > data.length
    )
      throw new Error(`truncated message at byte ${offset}`);
    const end = offset + total - TRAILER_BYTES;
    if (data.readUInt32BE(end) !== crc32(data.subarray(offset, end)))
      throw new Error(`message CRC mismatch at byte ${offset}`);
    const headersEnd = offset + PRELUDE_BYTES + headersLength;
    messages.push({
      headers: decodeHeaders(data, offset + PRELUDE_BYTES, headersEnd),
      payload: Buffer.from(data.subarray(headersEnd, end)),
    });
    offset += total;
  }
  return messages;
}

function decodeHeaders(
  data: Buffer,
  start: number,
  end: number,
): Record<string, EventStreamHeaderValue> {
  const headers: Record<string, EventStreamHeaderValue> = {};
  let at = start;
  const need = (bytes: number): void => {
    if (at + bytes > end) throw new Error(`truncated header at byte ${at}`);
  };
  while (at < end) {
    need(1);
    const nameLength = data.readUInt8(at);
    need(1 + nameLength + 1);
    const name = data.toString("utf8", at + 1, at + 1 + nameLength);
    const type = data.readUInt8(at + 1 + nameLength);
    at += 2 + nameLength;
    switch (type) {
      case 0:
        headers[name] = true;
        break;
      case 1:
        headers[name] = false;
        break;
      case 2:
        need(1);
        headers[name] = data.readInt8(at);
        at += 1;
        break;
      case 3:
        need(2);
        headers[name] = data.readInt16BE(at);
        at += 2;
        break;
      case 4:
        need(4);
        headers[name] = data.readInt32BE(at);
        at += 4;
        break;
      case 5:
        need(8);
        headers[name] = data.readBigInt64BE(at);
        at += 8;
        break;
      case 6:
      case STRING_TYPE: {
        need(2);
        const length = data.readUInt16BE(at);
        need(2 + length);
        const value = data.subarray(at + 2, at + 2 + length);
        headers[name] =
          type === STRING_TYPE ? value.toString("utf8") : Buffer.from(value);
        at += 2 + length;
        break;
      }
      case 8:
        need(8);
        headers[name] = new Date(Number(data.readBigInt64BE(at)));
        at += 8;
        break;
      case 9:
        need(16);
        headers[name] = Buffer.from(data.subarray(at, at + 16));
        at += 16;
        break;
      default:
        throw new Error(`unknown header value type ${type} for "${name}"`);
    }
  }
  return headers;
}
