/** The answer of a Runtime API handler, written to the socket by the server. */
export interface HandlerReply {
  readonly status: number;
  readonly body: unknown;
}

/** Lambda's 2xx body for accepted posts. */
export const ACCEPTED: HandlerReply = { status: 202, body: { status: "OK" } };
