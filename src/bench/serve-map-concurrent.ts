/**
 * Runs a task per item with a bound on how many run at once: the "N in flight" of the serve
 * benchmark's cold-start scenarios.
 */

/**
 * Calls `task(item, index)` for every item, at most `limit` at a time, starting the next as soon
 * as one settles; resolves with the results in item order. A rejection rejects the whole run
 * once the tasks already started have settled (no task is left running behind the caller).
 * @throws {RangeError} when `limit` is not a positive integer.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, not ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await task(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, items.length); i += 1)
    workers.push(worker());
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
  return results;
}
