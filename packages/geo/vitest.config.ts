import { bitcrawlVitestConfig } from '../../vitest.shared.ts';

// Per-test limit: the slowest test's (loading the real ASN files whole), scaled to the machine's speed.
export default bitcrawlVitestConfig({}, { testMs: 300_000 });
