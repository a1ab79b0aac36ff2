import { addressToLegacyBytes, legacyBytesToAddress } from '../address/codec.ts';
import type { Network } from '../address/types.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

/** The 26-byte address of `version` (services, legacy 16-byte IP, big-endian port). */
export interface NetAddrField {
  services: bigint;
  network: Network;
  host: string;
  port: number;
}

const UNSPECIFIED = new Uint8Array(16);

export function readNetAddr(r: Reader): NetAddrField {
  const services = r.u64le();
  const ip = r.bytes(16);
  const port = r.u16be();
  const addr = legacyBytesToAddress(ip) ?? { network: 'ipv6' as const, host: '::' };
  return { services, network: addr.network, host: addr.host, port };
}

export function writeNetAddr(w: Writer, a: NetAddrField): void {
  w.u64le(a.services);
  w.bytes(addressToLegacyBytes(a.network, a.host) ?? UNSPECIFIED);
  w.u16be(a.port);
}
