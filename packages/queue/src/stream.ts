// What the ingester uses: the observation stream and the rounds' end markers, without BullMQ
// (the ingest thread of `bitcrawl crawl` loads only this much of the package).
export { ingestBacklog, ObservationStreamReader } from './observation-stream.ts';
export { takeRoundEnded } from './round-ended.ts';
