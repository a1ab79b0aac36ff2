import { isMainThread, workerData } from 'node:worker_threads';

/** What a commit thread's workerData says it is (commit-thread.ts). */
export const COMMIT_THREAD_KIND = 'bitcrawl-commit-thread';

/** Whether this code runs as a commit thread: told apart before its modules are loaded. */
export function isCommitThread(): boolean {
  return !isMainThread && (workerData as { kind?: unknown } | null)?.kind === COMMIT_THREAD_KIND;
}
