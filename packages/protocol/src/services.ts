/** Service bits a node advertises in version and addr messages. */
export const SERVICE_FLAGS = {
  NODE_NETWORK: 1n,
  NODE_GETUTXO: 2n,
  NODE_BLOOM: 4n,
  NODE_WITNESS: 8n,
  NODE_COMPACT_FILTERS: 64n,
  NODE_NETWORK_LIMITED: 1024n,
  NODE_P2P_V2: 2048n,
} as const;

const BY_BIT = new Map<bigint, string>(Object.entries(SERVICE_FLAGS).map(([name, bit]) => [bit, name]));

/** Names of the set bits, low to high; unknown bits are kept as UNKNOWN_BIT_<n>. */
export function serviceNames(services: bigint): string[] {
  const out: string[] = [];
  for (let i = 0n; i < 64n; i++) {
    const bit = 1n << i;
    if ((services & bit) !== 0n) out.push(BY_BIT.get(bit) ?? `UNKNOWN_BIT_${i}`);
  }
  return out;
}
