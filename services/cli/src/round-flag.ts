import { CRAWL_ID_PATTERN } from '@bitcrawl/config/defaults';
import { UsageError } from './usage-error.ts';

/** A --round the user typed: a crawl id (the one pattern every round id keeps to), or a usage error. */
export function checkRoundFlag(round: string | undefined): void {
  if (round !== undefined && !CRAWL_ID_PATTERN.test(round))
    throw new UsageError(`--round: bad round id "${round}" (letters, digits, '.', '_', '-')`);
}
