import { engineThreadData, runEngineThread } from './threads.ts';

// The script a crawl thread runs (THREADS > 1): only the worker's engine, not the whole CLI, so
// each thread loads what it uses. The CLI ships it next to itself as worker-thread.mjs.
const data = engineThreadData();
if (!data) throw new Error('worker-thread.mjs runs only as a crawl thread of `bitcrawl worker`');
await runEngineThread(data);
