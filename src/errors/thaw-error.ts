/**
 * The root of thaw's errors. Every error class has a literal `name`, keeps its `cause`, and says who
 * is to blame: the `client` (bad input), the `function` (the user's code misbehaved) or the
 * `platform` (thaw or the machine).
 */

/** Who caused an error. */
export type Blame = "client" | "function" | "platform";

/** Base class of every error thaw throws on purpose. */
export abstract class ThawError extends Error {
  abstract override readonly name: string;
  abstract readonly blame: Blame;
}
