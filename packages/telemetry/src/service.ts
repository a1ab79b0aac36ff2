/** A started service, as its `start(config, deps)` returns it. */
export interface RunningService {
  /**
   * Settles when the service ends by itself: resolves when its work is done (a one-shot seeder),
   * rejects when it failed for good (a dead crawl thread, an ingester error retrying cannot fix).
   */
  ended?: Promise<unknown>;
  /** Stops it gracefully (in-flight work finishes or is handed back) and closes what it opened. */
  close(): Promise<void>;
}

/**
 * A service's life in its process, the one shutdown path of every main.ts: starts it (`stop` is
 * aborted by a SIGTERM/SIGINT that comes while it starts), runs it until SIGTERM/SIGINT or until
 * it ends by itself, then closes it. A failure that ended it is thrown after the close, so the
 * process exits non-zero and the orchestrator restarts it.
 */
export async function runUntilStopped(start: (stop: AbortSignal) => Promise<RunningService>): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const service = await start(controller.signal);
    const signalled = new Promise<void>((resolve) => {
      if (controller.signal.aborted) resolve();
      else controller.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    let failure: { err: unknown } | undefined;
    const ended = (service.ended ?? new Promise<never>(() => {})).then(
      () => {},
      (err: unknown) => {
        failure = { err };
      },
    );
    await Promise.race([signalled, ended]);
    if (failure) {
      await service.close().catch(() => {}); // the failure is what is reported
      throw failure.err;
    }
    await service.close();
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
