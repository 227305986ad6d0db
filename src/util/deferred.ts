/** A promise with its resolver outside (Node 20 has no `Promise.withResolvers`). */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

/** Makes a {@link Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A deferred that resolves with `value` after `ms`, and the function that cancels the timer. */
export function delay<T>(
  ms: number,
  value: T,
): { readonly promise: Promise<T>; cancel(): void } {
  const d = deferred<T>();
  const timer = setTimeout(() => {
    d.resolve(value);
  }, ms);
  return {
    promise: d.promise,
    cancel: () => {
      clearTimeout(timer);
    },
  };
}
