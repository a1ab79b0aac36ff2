import { defineConfig, type ViteUserConfig } from 'vitest/config';
import { budget } from './packages/testkit/src/time-budget.ts';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/**
 * Every package's vitest config: default time limits (vitest's 5 s per test and 10 s per hook,
 * unless `idle` says more) scaled to this machine's measured speed (see time-budget.ts), so a
 * loaded 2-core machine gets the time an idle one would need, in proportion.
 */
export function bitcrawlVitestConfig(
  test: TestOptions = {},
  idle: { testMs?: number; hookMs?: number } = {},
): ViteUserConfig {
  return defineConfig({
    test: {
      testTimeout: budget(idle.testMs ?? 5_000),
      hookTimeout: budget(idle.hookMs ?? 10_000),
      ...test,
    },
  });
}
