// The ingest thread of `bitcrawl crawl`, run from the TypeScript sources as bitcrawl.mjs runs
// the CLI (tsx's hooks do not reach a Worker; each thread registers them).
// The Docker image runs the bundle (dist/ingest-thread.mjs) instead.
import { register } from 'tsx/esm/api';
import { sourceMapsOnlyWhenAsked } from './source-maps.mjs';

register();
sourceMapsOnlyWhenAsked();
await import('../../ingester/src/thread-entry.ts');
