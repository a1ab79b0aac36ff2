import { type Endpoint, NETWORKS, type Network } from '@bitcrawl/protocol';
import { stringLiteral, valueLiteral } from '../sql/literal.ts';

/**
 * Values the timeline's SQL builders write into their text, through the one tested literal
 * formatter (sql/literal.ts), so the same SQL runs on 18.16 (no query parameters) and chdb:
 * the SQL needs no guard on round ids.
 */

/** A round id as an SQL string literal, escaped. */
export function roundLiteral(id: string): string {
  return stringLiteral(id);
}

/** A safe integer as SQL text (anything else is an SqlParamError). */
export function intLiteral(n: number): string {
  return valueLiteral('integer', 'Int64', n);
}

export const num = (v: unknown): number => Number(v ?? 0);

/**
 * A row's network, host and port as the protocol's Endpoint. The store holds only the networks
 * the crawler wrote; anything else is a corrupt row, said so rather than passed on.
 */
export function endpointOf(r: Record<string, unknown>): Endpoint {
  const network = String(r.network);
  if (!(NETWORKS as readonly string[]).includes(network))
    throw new Error(`a row of network "${network}": not one the crawler writes`);
  return { network: network as Network, host: String(r.host), port: num(r.port) };
}
