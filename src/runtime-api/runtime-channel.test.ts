import { test } from "node:test";
import assert from "node:assert/strict";
import { RuntimeApiError } from "../errors/runtime-api-errors.js";
import { IllegalStateError } from "../errors/sandbox-errors.js";
import {
  RuntimeChannel,
  type Invocation,
  type ParkedNext,
} from "./runtime-channel.js";

function invocation(requestId: string): Invocation {
  return {
    requestId,
    payload: Buffer.from("{}"),
    deadlineMs: Date.now() + 3000,
    invokedFunctionArn: "arn:x",
  };
}

function parked(): ParkedNext & { delivered: Invocation[]; dropped: number } {
  const record = {
    delivered: [] as Invocation[],
    dropped: 0,
    deliver(i: Invocation) {
      record.delivered.push(i);
    },
    drop() {
      record.dropped += 1;
    },
  };
  return record;
}

test("first /next ends init and a dispatched Invocation reaches the parked /next", async () => {
  let ready = 0;
  const channel = new RuntimeChannel({
    onReady: () => {
      ready += 1;
    },
  });
  const p = parked();
  channel.next(p);
  assert.equal(ready, 1);
  assert.equal(channel.state, "idle");
  const answer = channel.dispatch(invocation("a"));
  assert.equal(p.delivered[0]?.requestId, "a");
  assert.equal(channel.state, "invoking");
  channel.answer("a", {
    kind: "response",
    body: Buffer.from("1"),
    contentType: undefined,
  });
  assert.equal(channel.state, "responded");
  const result = await answer;
  assert.equal(result.kind, "response");
});

test("an Invocation dispatched before the Runtime polls is delivered on its next /next", () => {
  const channel = new RuntimeChannel();
  void channel.dispatch(invocation("early"));
  const p = parked();
  channel.next(p);
  assert.equal(p.delivered[0]?.requestId, "early");
});

test("the Runtime's return to /next reports idle, and the next Invocation can go into that /next", () => {
  let idle = 0;
  const channel = new RuntimeChannel({
    onIdle: () => {
      idle += 1;
    },
  });
  channel.next(parked());
  void channel.dispatch(invocation("a"));
  channel.answer("a", {
    kind: "error",
    body: Buffer.from("{}"),
    errorType: undefined,
  });
  const second = parked();
  channel.next(second);
  assert.equal(idle, 1);
  void channel.dispatch(invocation("b"));
  assert.equal(second.delivered[0]?.requestId, "b");
});

test("a wrong, stale or repeated request id is InvalidRequestID (400)", () => {
  const channel = new RuntimeChannel();
  channel.next(parked());
  void channel.dispatch(invocation("a"));
  assert.throws(
    () => {
      channel.answer("zzz", {
        kind: "response",
        body: Buffer.alloc(0),
        contentType: undefined,
      });
    },
    (error: unknown) =>
      error instanceof RuntimeApiError &&
      error.errorType === "InvalidRequestID" &&
      error.statusCode === 400,
  );
  channel.answer("a", {
    kind: "response",
    body: Buffer.alloc(0),
    contentType: undefined,
  });
  assert.throws(
    () => {
      channel.answer("a", {
        kind: "response",
        body: Buffer.alloc(0),
        contentType: undefined,
      });
    },
    (error: unknown) =>
      error instanceof RuntimeApiError &&
      error.errorType === "InvalidRequestID",
  );
});

test("a response before any Invocation is InvalidStateTransition (403)", () => {
  const channel = new RuntimeChannel();
  assert.throws(
    () => {
      channel.answer("a", {
        kind: "response",
        body: Buffer.alloc(0),
        contentType: undefined,
      });
    },
    (error: unknown) =>
      error instanceof RuntimeApiError &&
      error.errorType === "InvalidStateTransition" &&
      error.statusCode === 403,
  );
});

test("/next while holding an unanswered Invocation is InvalidStateTransition", () => {
  const channel = new RuntimeChannel();
  channel.next(parked());
  void channel.dispatch(invocation("a"));
  assert.throws(
    () => {
      channel.next(parked());
    },
    (error: unknown) =>
      error instanceof RuntimeApiError &&
      error.errorType === "InvalidStateTransition",
  );
});

test("/init/error is accepted during init only", () => {
  const reports: string[] = [];
  const channel = new RuntimeChannel({
    onInitError: (r) => {
      reports.push(r.errorType ?? "");
    },
  });
  channel.initError({
    body: Buffer.from("{}"),
    errorType: "Runtime.ImportModuleError",
  });
  assert.deepEqual(reports, ["Runtime.ImportModuleError"]);
  channel.next(parked());
  assert.throws(
    () => {
      channel.initError({ body: Buffer.from("{}"), errorType: undefined });
    },
    (error: unknown) =>
      error instanceof RuntimeApiError &&
      error.errorType === "InvalidStateTransition",
  );
});

test("dispatching twice, or after close, is an IllegalStateError", () => {
  const channel = new RuntimeChannel();
  void channel.dispatch(invocation("a"));
  assert.throws(
    () => channel.dispatch(invocation("b")),
    (error: unknown) => error instanceof IllegalStateError,
  );
  channel.close();
  assert.throws(() => channel.dispatch(invocation("c")), IllegalStateError);
});

test("close drops a parked /next, and a /next after close is dropped at once", () => {
  const channel = new RuntimeChannel();
  const p = parked();
  channel.next(p);
  channel.close();
  channel.close();
  assert.equal(p.dropped, 1);
  const late = parked();
  channel.next(late);
  assert.equal(late.dropped, 1);
});

test("an unparked /next (client gone) does not swallow the next Invocation", () => {
  const channel = new RuntimeChannel();
  const gone = parked();
  channel.next(gone);
  channel.unpark(gone);
  void channel.dispatch(invocation("a"));
  assert.equal(gone.delivered.length, 0);
  const fresh = parked();
  channel.next(fresh);
  assert.equal(fresh.delivered[0]?.requestId, "a");
});

test("SnapStart: /restore/next is refused outside a SnapStart init (403 InvalidStateTransition)", () => {
  const channel = new RuntimeChannel();
  assert.throws(
    () => channel.restoreNext(parked()),
    (error: unknown) =>
      error instanceof RuntimeApiError &&
      error.statusCode === 403 &&
      /only for SnapStart/.test(error.message),
  );
  assert.throws(() => {
    channel.restoreError({ body: Buffer.from("{}"), errorType: undefined });
  }, RuntimeApiError);
});

test("SnapStart snapshot phase: /restore/next ends init and stays parked until the channel closes", () => {
  let ready = 0;
  const channel = new RuntimeChannel(
    {
      onReady: () => {
        ready += 1;
      },
    },
    "snapshot",
  );
  const waiting = parked();
  assert.equal(channel.restoreNext(waiting), false, "not answered");
  assert.equal(ready, 1);
  assert.equal(channel.state, "initializing");
  channel.close();
  assert.equal(waiting.dropped, 1);
});

test("SnapStart restore phase: /restore/next is answered at once, /restore/error reported, the first /next ends the restore", () => {
  const errors: string[] = [];
  let ready = 0;
  const channel = new RuntimeChannel(
    {
      onReady: () => {
        ready += 1;
      },
      onRestoreError: (report) => errors.push(report.errorType ?? ""),
    },
    "restore",
  );
  assert.equal(channel.restoreNext(parked()), true);
  channel.restoreError({
    body: Buffer.from("{}"),
    errorType: "Runtime.AfterRestoreError",
  });
  assert.deepEqual(errors, ["Runtime.AfterRestoreError"]);
  channel.next(parked());
  assert.equal(ready, 1);
  assert.throws(() => channel.restoreNext(parked()), RuntimeApiError);
});
