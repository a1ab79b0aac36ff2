import { bitcrawlVitestConfig } from '../../vitest.shared.ts';

// Tests here start simnets on the same loopback addresses (127.1.x.y:8333) and real servers:
// run the files one after another.
// Per-test limit: the slowest test's (the mainnet-sized simnet), scaled to the machine's speed.
export default bitcrawlVitestConfig({ fileParallelism: false }, { testMs: 300_000 });
