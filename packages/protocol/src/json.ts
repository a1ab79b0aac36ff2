import type { Message } from './message.ts';
import { serviceNames } from './services.ts';

/**
 * A readable JSON form of a message, for `bitcrawl decode` and logs: 64-bit values become
 * exact decimal strings, service bits are also named, raw payloads are hex. `command` is
 * always the wire command; messages we do not decode carry `decoded: false` and the payload.
 */
export function messageToJson(msg: Message): Record<string, unknown> {
  if (msg.command === 'unknown') {
    return { command: msg.name, decoded: false, payload: Buffer.from(msg.payload).toString('hex') };
  }
  return convert(msg) as Record<string, unknown>;
}

function convert(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map((v) => convert(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = convert(v);
      if (k === 'services' && typeof v === 'bigint') out.serviceNames = serviceNames(v);
    }
    return out;
  }
  return value;
}
