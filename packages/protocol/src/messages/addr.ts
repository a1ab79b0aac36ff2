import { addressToLegacyBytes, legacyBytesToAddress } from '../address/codec.ts';
import type { Network } from '../address/types.ts';
import { ProtocolError } from '../errors.ts';
import { Reader, u64leAt } from '../reader.ts';
import { Writer } from '../writer.ts';

/** Core's MAX_ADDR_TO_SEND: a message with more entries is misbehaviour and is ignored. */
export const MAX_ADDR_ENTRIES = 1000;
const ENTRY_SIZE = 30;

export interface AddrEntry {
  /** Unix seconds the sender last heard of this address (uint32). */
  time: number;
  services: bigint;
  network: Network;
  host: string;
  port: number;
}

export interface AddrMessage {
  command: 'addr';
  addresses: AddrEntry[];
  /** Entries dropped because v1 cannot express them usefully (Tor v2 onioncat, internal). */
  skipped: number;
}

export function readAddrCount(r: Reader, command: string): number {
  const count = r.varintBig();
  if (count > BigInt(MAX_ADDR_ENTRIES)) {
    throw new ProtocolError(
      'TOO_MANY_ENTRIES',
      `${command} with ${count} entries (limit ${MAX_ADDR_ENTRIES})`,
    );
  }
  return Number(count);
}

export function decodeAddr(payload: Uint8Array): AddrMessage {
  const r = new Reader(payload);
  const count = readAddrCount(r, 'addr');
  if (r.remaining < count * ENTRY_SIZE) {
    throw new ProtocolError('TRUNCATED', `addr declares ${count} entries but carries ${r.remaining} bytes`);
  }
  // Bytes after the last entry are ignored, as Core ignores them.
  // Fixed-size entries: read straight from a DataView instead of through the Reader (hot path).
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const addresses: AddrEntry[] = new Array(count); // sized once: push would grow it by copies
  let n = 0;
  let skipped = 0;
  for (let i = 0, off = r.pos; i < count; i++, off += ENTRY_SIZE) {
    const addr = legacyBytesToAddress(payload, off + 12);
    if (!addr) {
      skipped++;
      continue;
    }
    addresses[n++] = {
      time: view.getUint32(off, true),
      services: u64leAt(view, off + 4),
      network: addr.network,
      host: addr.host,
      port: view.getUint16(off + 28, false),
    };
  }
  addresses.length = n;
  return { command: 'addr', addresses, skipped };
}

/** Encodes addr v1; entries of networks v1 cannot carry (onion, i2p, cjdns) are left out. */
export function encodeAddr(m: { addresses: readonly AddrEntry[] }): Uint8Array {
  const legacy = m.addresses.flatMap((a) => {
    const ip = addressToLegacyBytes(a.network, a.host);
    return ip ? [{ a, ip }] : [];
  });
  const w = new Writer(9 + legacy.length * ENTRY_SIZE);
  w.varint(legacy.length);
  for (const { a, ip } of legacy) w.u32le(a.time).u64le(a.services).bytes(ip).u16be(a.port);
  return w.finish();
}
