import { ingestThreadData, runIngestThread } from './thread.ts';

// The script the ingest thread of `bitcrawl crawl` runs: only the ingester, not the whole CLI.
// The CLI ships it next to itself as ingest-thread.mjs.
const data = ingestThreadData();
if (!data) throw new Error('ingest-thread.mjs runs only as the ingest thread of `bitcrawl crawl`');
await runIngestThread(data);
