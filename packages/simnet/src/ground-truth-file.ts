import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { GroundTruth, TruthNode } from './ground-truth.ts';

/**
 * Ground truth on disk as NDJSON: a header line, then one node per line. A 10,000-node
 * network gossips millions of edges, more than one JSON string can hold. Without edges
 * (spec.truthEdges false) a node's line has its answerCount but no answer.
 */
export async function writeGroundTruth(path: string, truth: GroundTruth): Promise<void> {
  const out = createWriteStream(path);
  const { nodes, ...header } = truth;
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  await write(JSON.stringify({ ...header, nodeCount: nodes.length }));
  for (const n of nodes) {
    if (truth.edges) await write(JSON.stringify(n));
    else {
      const { endpoint, network, host, port, kind, expectedOutcome, version, answerCount } = n;
      await write(
        JSON.stringify({ endpoint, network, host, port, kind, expectedOutcome, version, answerCount }),
      );
    }
  }
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
    else {
      const n = { answer: [], ...JSON.parse(line) } as TruthNode;
      n.answerCount ??= n.answer.length;
      nodes.push(n);
    }
  }
  if (!header) throw new Error(`${path}: empty ground truth file`);
  return { ...header, nodes };
}
