import { bitcrawlVitestConfig } from '../../vitest.shared.ts';

// Per-test limit: the slowest test's (the 100,000-frame fuzz run), scaled to the machine's speed.
export default bitcrawlVitestConfig({}, { testMs: 300_000 });
