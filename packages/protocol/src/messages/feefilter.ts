import { Reader } from '../reader.ts';
import { Writer } from '../writer.ts';

/** BIP133: the minimum fee rate (sat/kvB) of transactions the peer wants announced. */
export interface FeeFilterMessage {
  command: 'feefilter';
  feeRate: bigint;
}

export function decodeFeeFilter(payload: Uint8Array): FeeFilterMessage {
  const r = new Reader(payload);
  const feeRate = r.i64le();
  // Bytes after the fee rate are ignored, as Core ignores them.
  return { command: 'feefilter', feeRate };
}

export function encodeFeeFilter(m: FeeFilterMessage): Uint8Array {
  return new Writer(8).i64le(m.feeRate).finish();
}
