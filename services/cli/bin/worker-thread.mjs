// A crawl thread of `bitcrawl worker` (THREADS > 1), run from the TypeScript sources as
// bitcrawl.mjs runs the CLI (tsx's hooks do not reach a Worker; each thread registers them).
// The Docker image runs the bundle (dist/worker-thread.mjs) instead.
import { register } from 'tsx/esm/api';
import { sourceMapsOnlyWhenAsked } from './source-maps.mjs';

register();
sourceMapsOnlyWhenAsked();
await import('../../worker/src/thread-entry.ts');
