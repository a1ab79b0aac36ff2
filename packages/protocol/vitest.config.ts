import { bitcrawlVitestConfig } from '../../vitest.shared.ts';

export default bitcrawlVitestConfig({}, { testMs: 60_000 });
