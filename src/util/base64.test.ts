import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeBase64 } from "./base64.js";

test("any bytes round-trip, with and without padding", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (array) => {
      const bytes = Buffer.from(array);
      const text = bytes.toString("base64");
      assert.deepEqual(decodeBase64(text), bytes);
      assert.deepEqual(decodeBase64(text.replace(/=+$/, "")), bytes);
    }),
  );
});

test("text outside the alphabet, or misplaced padding, is not base64", () => {
  for (const text of [
    "a b",
    "QUJD!",
    "QQ==QQ==",
    "QUJD\n",
    "-_-_",
    "Q===",
    "=QUJD",
  ])
    assert.equal(decodeBase64(text), undefined, text);
});

test("the empty string is zero bytes", () => {
  assert.deepEqual(decodeBase64(""), Buffer.alloc(0));
});
