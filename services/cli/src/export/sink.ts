import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes to a stream, waiting for 'drain' when its buffer is full, so an export's memory stays flat. */
export function sink(out: Writable) {
  return async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
}
