import { bitcrawlVitestConfig } from '../../vitest.shared.ts';

export default bitcrawlVitestConfig();
