/**
 * SIGINT, SIGTERM and SIGHUP for the commands that run a whole crawl (crawl, stack): the first
 * one asks for a graceful stop; a second one exits at once with status 130. Exiting through
 * process.exit, not the signal's default action, matters: only then does Node emit 'exit', on
 * which the servers started in their own process group (the private Redis, ClickHouse) are
 * killed. A default-action death would leave them running, since the terminal's signal no
 * longer reaches them. Returns the function that removes the handlers.
 */
export function onStopSignals(stop: () => void): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let received = false;
  const handler = () => {
    if (received) process.exit(130);
    received = true;
    stop();
  };
  for (const sig of signals) process.on(sig, handler);
  return () => {
    for (const sig of signals) process.off(sig, handler);
  };
}
