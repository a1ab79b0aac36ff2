import { bitcrawlVitestConfig } from '../../vitest.shared.ts';

// Tests here start simnets on the same loopback addresses (127.1.x.y:8333) and real servers:
// run the files one after another.
export default bitcrawlVitestConfig({ fileParallelism: false });
