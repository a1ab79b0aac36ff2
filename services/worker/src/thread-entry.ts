import { commitThreadData, runCommitThread } from './commit-thread.ts';
import { engineThreadData, runEngineThread } from './threads.ts';

// The script a worker's threads run: a crawl thread (THREADS > 1) or a commit thread
// (COMMIT_THREAD); only the worker's code, not the whole CLI, so each thread loads what it uses.
// The CLI ships it next to itself as worker-thread.mjs.
const commit = commitThreadData();
const engine = engineThreadData();
if (commit) await runCommitThread(commit);
else if (engine) await runEngineThread(engine);
else throw new Error('worker-thread.mjs runs only as a thread of `bitcrawl worker` or `bitcrawl crawl`');
