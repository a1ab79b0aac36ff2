import { addressToBytes, decodeBip155, isIPv4Mapped } from '../address/codec.ts';
import { formatIPv4 } from '../address/ip.ts';
import { BIP155_ID } from '../address/types.ts';
import { ProtocolError } from '../errors.ts';
import { Reader } from '../reader.ts';
import { Writer } from '../writer.ts';
import { type AddrEntry, readAddrCount } from './addr.ts';

/** BIP155: an address field longer than this makes the whole message invalid. */
export const MAX_ADDRV2_ADDRESS_LENGTH = 512;

export interface AddrV2Message {
  command: 'addrv2';
  addresses: AddrEntry[];
  /** Entries skipped because Core would not use them (unknown network id, Tor v2, embedded IPv4). */
  skipped: number;
}

export function decodeAddrV2(payload: Uint8Array): AddrV2Message {
  const r = new Reader(payload);
  const count = readAddrCount(r, 'addrv2');
  // Sized once (a count is at most 1000): growing by push copies the array several times.
  const addresses: AddrEntry[] = new Array(count);
  let n = 0;
  let skipped = 0;
  for (let i = 0; i < count; i++) {
    const time = r.u32le();
    const services = r.varintBig();
    const id = r.u8();
    const len = r.varint(MAX_ADDRV2_ADDRESS_LENGTH);
    if (id === 1 && len === 4) {
      // IPv4, most of any real answer: formatted in place, without a view or an interim object.
      const at = r.skip(4);
      addresses[n++] = { time, services, network: 'ipv4', host: formatIPv4(r.buf, at), port: r.u16be() };
      continue;
    }
    const bytes = r.bytes(len);
    // The address is judged before the port is read, as Core does (a wrong length is MALFORMED
    // even when the message also ends early).
    let addr: ReturnType<typeof decodeBip155>;
    try {
      addr = decodeBip155(id, bytes);
    } catch (err) {
      if (err instanceof ProtocolError)
        throw new ProtocolError('MALFORMED', `addrv2 entry ${i}: ${err.message}`);
      throw err;
    }
    const port = r.u16be();
    if (!addr) {
      skipped++;
      continue;
    }
    addresses[n++] = { time, services, network: addr.network, host: addr.host, port };
  }
  // Bytes after the last entry are ignored, as Core ignores them.
  addresses.length = n;
  return { command: 'addrv2', addresses, skipped };
}

export function encodeAddrV2(m: { addresses: readonly AddrEntry[] }): Uint8Array {
  const w = new Writer(9 + m.addresses.length * 24);
  w.varint(m.addresses.length);
  for (const a of m.addresses) {
    let bytes = addressToBytes(a.network, a.host);
    let network = a.network;
    // Core skips id-2 entries holding mapped IPv4, so send the address as the IPv4 it is.
    if (network === 'ipv6' && isIPv4Mapped(bytes)) {
      bytes = bytes.subarray(12);
      network = 'ipv4';
    }
    w.u32le(a.time).varint(a.services).u8(BIP155_ID[network]).varint(bytes.length).bytes(bytes).u16be(a.port);
  }
  return w.finish();
}
