import type { Writable } from 'node:stream';
import {
  findRound,
  roundReachableHeight,
  type Store,
  streamNodeReliability,
  streamSnapshotNodes,
} from '@bitcrawl/storage';
import { BITNODES_TAIL, bitnodesEntry, bitnodesHead } from './bitnodes.ts';
import { DNSSEED_HEADER, dnsseedLine } from './dnsseed.ts';
import { CSV_COLUMNS, csvLine } from './reliability-csv.ts';
import { sink } from './sink.ts';

export const EXPORT_KINDS = ['seeds', 'bitnodes', 'csv'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export class ExportError extends Error {
  readonly code = 'EXPORT';
}

/**
 * Streams one export of the store as of a round (the newest by default) to `out`, a page of
 * endpoints at a time: seeds (dnsseed.dump, every endpoint ever reached), bitnodes (the round's
 * reachable nodes), csv (every endpoint visited). Returns the round and the endpoints written.
 */
export async function runExport(
  store: Store,
  kind: ExportKind,
  o: { round?: string; defaultPort?: number; pageSize?: number },
  out: Writable,
): Promise<{ round: string; endpoints: number }> {
  const round = await findRound(store, o.round);
  if (!round)
    throw new ExportError(o.round ? `no observations for round ${o.round}` : 'no rounds in the store');
  const write = sink(out);
  const opts = {
    round,
    ...(o.defaultPort !== undefined ? { defaultPort: o.defaultPort } : {}),
    ...(o.pageSize !== undefined ? { pageSize: o.pageSize } : {}),
  };
  let n = 0;
  if (kind === 'seeds' || kind === 'csv') {
    await write(kind === 'seeds' ? DNSSEED_HEADER : `${CSV_COLUMNS.join(',')}\n`);
    const line = kind === 'seeds' ? dnsseedLine : csvLine;
    const filter = kind === 'seeds' ? 'successes > 0' : undefined;
    for await (const page of streamNodeReliability(store, { ...opts, ...(filter ? { filter } : {}) })) {
      for (const node of page) await write(line(node));
      n += page.length;
    }
    return { round: round.crawlId, endpoints: n };
  }
  const { reachable, medianHeight } = await roundReachableHeight(store, round);
  await write(bitnodesHead(Math.floor(round.lastVisit / 1000), reachable, medianHeight));
  for await (const page of streamSnapshotNodes(store, opts)) {
    for (const node of page) await write(`${n++ === 0 ? '' : ','}${bitnodesEntry(node)}`);
  }
  await write(BITNODES_TAIL);
  return { round: round.crawlId, endpoints: n };
}
