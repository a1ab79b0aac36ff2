/**
 * How embedded chdb's allocator returns freed memory. libchdb links its own jemalloc, which
 * ClickHouse builds with `dirty_decay_ms:5000`: pages a query or an insert freed stay resident
 * for ~5 s. The crawl inserts every second, so each insert's pages were still held when the
 * next came. On shape M (`crawl --once`), 1,000 ms peaked at 1,069-1,119 MB (4 runs, mean
 * 1,089) against 1,085-1,188 (8 runs, mean 1,145), at the same CPU; 0 ms saved ~120 MB but cost
 * 5-7 s more system CPU per round (every free goes back to the kernel at once).
 */
export const CHDB_MALLOC_CONF = 'dirty_decay_ms:1000';

/**
 * Sets `JE_MALLOC_CONF` (the variable libchdb's jemalloc reads, once, when the library loads)
 * unless the user set it. Call it from a process's entry, on the main thread, before anything
 * loads chdb: a worker thread's `process.env` is a copy that native code never sees.
 */
export function preferChdbAllocator(env: NodeJS.ProcessEnv): void {
  if (env.JE_MALLOC_CONF === undefined) env.JE_MALLOC_CONF = CHDB_MALLOC_CONF;
}
