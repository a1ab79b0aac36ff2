import { isCommitThread } from './thread-kind.ts';

// The script a worker's threads run: a crawl thread (THREADS > 1) or a commit thread
// (COMMIT_THREAD). Each loads only its own modules (a commit thread has no use for the
// crawler's), not the whole CLI. The CLI ships it next to itself as worker-thread.mjs.
if (isCommitThread()) {
  const { commitThreadData, runCommitThread } = await import('./commit-thread.ts');
  const data = commitThreadData();
  if (data) runCommitThread(data);
} else {
  const { engineThreadData, runEngineThread } = await import('./threads.ts');
  const data = engineThreadData();
  if (!data)
    throw new Error('worker-thread.mjs runs only as a thread of `bitcrawl worker` or `bitcrawl crawl`');
  await runEngineThread(data);
}
