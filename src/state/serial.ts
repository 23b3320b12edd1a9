/**
 * Runs async changes one after another within this process, so concurrent read-modify-write
 * cycles on one stored document cannot lose each other's update. A failed change does not stop
 * the ones queued behind it.
 */
export function createSerial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };
}
