import { bitcrawlVitestConfig } from '../../vitest.shared.ts';

// Per-test limit: room for the prompt-close test's 20 s wait, scaled to the machine's speed.
export default bitcrawlVitestConfig({}, { testMs: 40_000 });
