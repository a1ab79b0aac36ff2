import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { GroundTruth, TruthNode } from './ground-truth.ts';

/**
 * Ground truth on disk as NDJSON: a header line, then one node per line. A 10,000-node
 * network gossips millions of edges, more than one JSON string can hold.
 */
export async function writeGroundTruth(path: string, truth: GroundTruth): Promise<void> {
  const out = createWriteStream(path);
  const { nodes, ...header } = truth;
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  await write(JSON.stringify({ ...header, nodeCount: nodes.length }));
  for (const n of nodes) await write(JSON.stringify(n));
  out.end();
  await once(out, 'finish');
}

export async function readGroundTruth(path: string): Promise<GroundTruth> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let header: Omit<GroundTruth, 'nodes'> | undefined;
  const nodes: TruthNode[] = [];
  for await (const line of lines) {
    if (!line) continue;
    if (!header) header = JSON.parse(line);
    else nodes.push(JSON.parse(line) as TruthNode);
  }
  if (!header) throw new Error(`${path}: empty ground truth file`);
  return { ...header, nodes };
}
