/**
 * The Runtime API's state for one ExecutionEnvironment, without any socket: which Invocation the
 * Runtime holds, whether it waits in `/next`, and what it answered. The HTTP handlers translate
 * requests into calls here; the environment calls {@link RuntimeChannel.dispatch} to hand over an
 * Invocation. Keeping this apart from HTTP makes every protocol rule testable without a server.
 *
 * States (one Runtime, one Invocation at a time, as on Lambda):
 * - `initializing`: the Runtime has not called `/next` yet; `/init/error` is allowed.
 * - `idle`: the Runtime waits in `/next` and holds no Invocation.
 * - `invoking`: an Invocation was delivered and is not answered yet.
 * - `responded`: the Runtime answered and has not come back to `/next`; the Invocation (and its
 *   Duration) ends when it does (spec §2.3).
 * - `closed`: terminal; parked `/next` calls are dropped.
 *
 * SnapStart (spec §1.8) adds `/restore/next` and `/restore/error`, for a channel made with a
 * `snapStart` phase; without one they are refused (403). In the `snapshot` phase (the environment
 * that will be snapshotted), `/restore/next` during init ends init (`onReady`) and stays parked:
 * the snapshot is taken while the Runtime waits in it, and it is never answered there. In the
 * `restore` phase (a clone restored from the snapshot), `/restore/next` is answered at once (the
 * restore is done), the channel stays `initializing` until the Runtime's first `/next`, and
 * `/restore/error` reports the after-restore hooks' failure (`onRestoreError`).
 */
import { RuntimeApiError } from "../errors/runtime-api-errors.js";
import { IllegalStateError } from "../errors/sandbox-errors.js";

/** An Invocation as the Runtime receives it from `/next`. */
export interface Invocation {
  readonly requestId: string;
  readonly payload: Buffer;
  /** Absolute deadline, Unix epoch milliseconds. */
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  readonly traceId?: string;
  /** Decoded client context JSON (the Invoke API's `X-Amz-Client-Context` is base64). */
  readonly clientContext?: string;
  /** Cognito identity JSON. */
  readonly cognitoIdentity?: string;
  readonly tenantId?: string;
  /** @default "application/json" */
  readonly contentType?: string;
}

/** What the Runtime answered for an Invocation. */
export type RuntimeAnswer =
  | {
      readonly kind: "response";
      readonly body: Buffer;
      readonly contentType: string | undefined;
    }
  | {
      readonly kind: "error";
      readonly body: Buffer;
      /** The `Lambda-Runtime-Function-Error-Type` header (or trailer), when sent. */
      readonly errorType: string | undefined;
    }
  | { readonly kind: "oversize"; readonly limitBytes: number }
  | { readonly kind: "invalid-response-mode"; readonly mode: string };

/** What the Runtime reported on `/init/error`. */
export interface InitErrorReport {
  readonly body: Buffer;
  readonly errorType: string | undefined;
}

/** The states of a {@link RuntimeChannel}. */
export type RuntimeChannelState =
  "initializing" | "idle" | "invoking" | "responded" | "closed";

/** A parked `GET /next`: how to deliver an Invocation to it. */
export interface ParkedNext {
  deliver(invocation: Invocation): void;
  /** Ends the parked request without an Invocation (the environment is going away). */
  drop(): void;
}

/** Events the channel reports to its environment. */
export interface RuntimeChannelEvents {
  /** The Runtime called `/next` for the first time: init is complete. */
  onReady?(): void;
  /** The Runtime reported an init failure. */
  onInitError?(report: InitErrorReport): void;
  /** The Runtime is back in `/next` after answering an Invocation. */
  onIdle?(): void;
  /** The Runtime of a restored clone reported that its after-restore hooks failed. */
  onRestoreError?(report: InitErrorReport): void;
}

/** Where a SnapStart environment is in its life; see {@link RuntimeChannel}. */
export type SnapStartPhase = "snapshot" | "restore";

interface Pending {
  readonly invocation: Invocation;
  readonly resolve: (answer: RuntimeAnswer) => void;
}

/** Protocol state of one environment's Runtime API. */
export class RuntimeChannel {
  #state: RuntimeChannelState = "initializing";
  #parked: ParkedNext | undefined;
  /** The Invocation handed over but not yet delivered (the Runtime was not parked in `/next`). */
  #queued: Pending | undefined;
  /** The Invocation the Runtime holds, or held until it comes back to `/next`. */
  #current: Pending | undefined;
  #answeredId: string | undefined;
  readonly #events: RuntimeChannelEvents;
  readonly #snapStart: SnapStartPhase | undefined;
  /** The parked `/restore/next` of the `snapshot` phase. */
  #parkedRestore: ParkedNext | undefined;

  constructor(events: RuntimeChannelEvents = {}, snapStart?: SnapStartPhase) {
    this.#events = events;
    this.#snapStart = snapStart;
  }

  get state(): RuntimeChannelState {
    return this.#state;
  }

  /** The request id of the Invocation the Runtime holds, if any. */
  get currentRequestId(): string | undefined {
    return this.#state === "invoking"
      ? this.#current?.invocation.requestId
      : undefined;
  }

  /**
   * Hands an Invocation to the Runtime: at once if it waits in `/next`, else when it next calls it.
   * Resolves with the Runtime's answer; platform outcomes (timeout, crash) are decided by the caller,
   * which then {@link close}s the channel.
   * @throws {IllegalStateError} when another Invocation is in flight or the channel is closed.
   */
  dispatch(invocation: Invocation): Promise<RuntimeAnswer> {
    if (this.#state === "closed")
      throw new IllegalStateError("the Runtime API channel is closed");
    if (this.#queued !== undefined || this.#state === "invoking") {
      throw new IllegalStateError(
        "an Invocation is already in flight in this environment",
      );
    }
    return new Promise<RuntimeAnswer>((resolve) => {
      const pending: Pending = { invocation, resolve };
      const parked = this.#parked;
      if (this.#state === "idle" && parked !== undefined) {
        this.#parked = undefined;
        this.#start(pending, parked);
      } else {
        this.#queued = pending;
      }
    });
  }

  /**
   * `GET /runtime/invocation/next`: parks the request until an Invocation is dispatched.
   * @throws {RuntimeApiError} `InvalidStateTransition` when the Runtime holds an unanswered Invocation.
   */
  next(parked: ParkedNext): void {
    switch (this.#state) {
      case "closed":
        parked.drop();
        return;
      case "invoking":
        throw new RuntimeApiError(
          "InvalidStateTransition",
          `State transition from Invoking to Ready failed: the Runtime must answer Invocation ${this.#current?.invocation.requestId ?? ""} before calling /next.`,
        );
      case "initializing":
        this.#state = "idle";
        this.#events.onReady?.();
        this.#park(parked);
        return;
      case "responded":
        this.#state = "idle";
        this.#current = undefined;
        // Report first: the environment may dispatch its next Invocation right away, into this /next.
        this.#events.onIdle?.();
        this.#park(parked);
        return;
      case "idle":
        // A second /next while one is parked: the newer connection wins, as a reconnecting client expects.
        this.#parked?.drop();
        this.#park(parked);
        return;
    }
  }

  /** A parked `/next` whose connection closed before an Invocation reached it. */
  unpark(parked: ParkedNext): void {
    if (this.#parked === parked) this.#parked = undefined;
    if (this.#parkedRestore === parked) this.#parkedRestore = undefined;
  }

  /**
   * `GET /runtime/restore/next` (SnapStart): in the `snapshot` phase, init is complete and the
   * request stays parked (the snapshot is taken meanwhile); in the `restore` phase, answered at once
   * with `true` (the caller answers 200 with an empty body).
   * @throws {RuntimeApiError} `InvalidStateTransition` outside a SnapStart init.
   */
  restoreNext(parked: ParkedNext): boolean {
    if (this.#state === "closed") {
      parked.drop();
      return false;
    }
    if (this.#snapStart === undefined || this.#state !== "initializing") {
      throw new RuntimeApiError(
        "InvalidStateTransition",
        this.#snapStart === undefined
          ? "/runtime/restore/next is only for SnapStart: this environment's AWS_LAMBDA_INITIALIZATION_TYPE is not snap-start."
          : `State transition from ${capitalise(this.#state)} to RestoreNext failed: /runtime/restore/next comes before the first /next.`,
      );
    }
    if (this.#snapStart === "restore") return true;
    this.#parkedRestore?.drop();
    this.#parkedRestore = parked;
    this.#events.onReady?.();
    return false;
  }

  /**
   * `POST /runtime/restore/error` (SnapStart): the after-restore hooks of a restored clone failed.
   * @throws {RuntimeApiError} `InvalidStateTransition` unless this is a restored clone still in init.
   */
  restoreError(report: InitErrorReport): void {
    if (this.#snapStart !== "restore" || this.#state !== "initializing") {
      throw new RuntimeApiError(
        "InvalidStateTransition",
        `State transition from ${capitalise(this.#state)} to RestoreError failed: /runtime/restore/error is only for a SnapStart environment being restored.`,
      );
    }
    this.#events.onRestoreError?.(report);
  }

  /**
   * `POST /runtime/invocation/{requestId}/response` or `/error`, or a platform verdict on the body
   * (oversize, bad response mode). Validates the id before changing state.
   * @throws {RuntimeApiError} `InvalidRequestID` for an unknown, stale or already answered id;
   *   `InvalidStateTransition` when no Invocation is open.
   */
  answer(requestId: string, answer: RuntimeAnswer): void {
    const current = this.#current;
    if (this.#state !== "invoking" || current === undefined) {
      if (
        requestId === this.#answeredId ||
        this.#state === "idle" ||
        this.#state === "responded"
      ) {
        throw new RuntimeApiError(
          "InvalidRequestID",
          `Invalid request ID: ${requestId} is not the open Invocation.`,
        );
      }
      throw new RuntimeApiError(
        "InvalidStateTransition",
        `State transition from ${capitalise(this.#state)} to InvocationResponse failed: no Invocation is open.`,
      );
    }
    if (current.invocation.requestId !== requestId) {
      throw new RuntimeApiError(
        "InvalidRequestID",
        `Invalid request ID: ${requestId} is not the open Invocation (${current.invocation.requestId}).`,
      );
    }
    this.#state = "responded";
    this.#answeredId = requestId;
    current.resolve(answer);
  }

  /**
   * `POST /runtime/init/error`.
   * @throws {RuntimeApiError} `InvalidStateTransition` after init has ended.
   */
  initError(report: InitErrorReport): void {
    if (this.#state !== "initializing") {
      throw new RuntimeApiError(
        "InvalidStateTransition",
        `State transition from ${capitalise(this.#state)} to InitError failed: init has already ended.`,
      );
    }
    this.#events.onInitError?.(report);
  }

  /** Ends the channel: drops a parked `/next`. An unanswered Invocation stays unanswered. Idempotent. */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    const parked = this.#parked;
    const parkedRestore = this.#parkedRestore;
    this.#parked = undefined;
    this.#parkedRestore = undefined;
    this.#queued = undefined;
    parked?.drop();
    parkedRestore?.drop();
  }

  #park(parked: ParkedNext): void {
    const queued = this.#queued;
    if (queued !== undefined) {
      this.#queued = undefined;
      this.#start(queued, parked);
    } else {
      this.#parked = parked;
    }
  }

  #start(pending: Pending, parked: ParkedNext): void {
    this.#state = "invoking";
    this.#current = pending;
    parked.deliver(pending.invocation);
  }
}

function capitalise(state: RuntimeChannelState): string {
  return state.charAt(0).toUpperCase() + state.slice(1);
}
