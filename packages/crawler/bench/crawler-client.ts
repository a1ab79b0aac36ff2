/**
 * bench:sessions' crawler process: the crawl engine exactly as a worker runs it (createVisitor,
 * a full Observation per visit), driven at CONCURRENCY sessions. See drive.ts.
 */
import { packedCount } from '@bitcrawl/protocol';
import { crawlerConfigSchema } from '../src/config.ts';
import { createVisitor } from '../src/visitor.ts';
import { runClient } from './drive.ts';

await runClient((chain) => {
  const visitor = createVisitor(
    crawlerConfigSchema.parse({
      allowPrivate: true,
      chain,
      timeouts: {
        connectMs: 5_000,
        handshakeMs: 10_000,
        getaddrMs: 10_000,
        idleAfterAnswerMs: 300,
        sessionMs: 30_000,
      },
    }),
  );
  return async (t) => {
    const obs = await visitor.visit(t, { crawlId: 'bench' });
    return { ok: obs.outcome === 'ok', addrs: packedCount(obs.addrs) };
  };
});
