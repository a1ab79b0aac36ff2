import net from 'node:net';
import { CHAINS } from '@bitcrawl/protocol';
import { startBlackholes } from './blackhole.ts';
import { startFrontDoor } from './front-door.ts';
import { generate, type NodePlan } from './generate.ts';
import type { GroundTruth } from './ground-truth.ts';
import { writeGroundTruth } from './ground-truth-file.ts';
import { prepareAnswer, serveConnection } from './node.ts';
import { type SimnetSpecInput, simnetSpecSchema } from './spec.ts';

export interface Simnet {
  groundTruth: GroundTruth;
  /** Endpoints ("host:port") to start a crawl from. */
  seeds: string[];
  /** socks5://127.0.0.1:PORT: the front door for onion, i2p and cjdns targets. */
  socksProxy: string;
  /** Resolves when the simnet has stopped (by stop() or at the end of its duration). */
  stopped: Promise<void>;
  stop(): Promise<void>;
  /**
   * Takes listening IP nodes down (their listener closes: visits are refused) or brings them
   * back, between crawl rounds, so a network can change over time. Endpoints as in the truth.
   */
  setDown(endpoints: readonly string[], down: boolean): Promise<void>;
  /** Inbound connections still open: a node closes its side once the crawler closes its own. */
  openConnections(): number;
}

/**
 * Starts a simulated Bitcoin network on loopback: one listener per node (127.x.y.z or ::1),
 * the SOCKS5 front door for overlays, and the blackhole helper. Nothing binds outside loopback.
 */
export async function startSimnet(
  input: SimnetSpecInput,
  opts: { groundTruthPath?: string } = {},
): Promise<Simnet> {
  const spec = simnetSpecSchema.parse(input);
  const plan = generate(spec);
  const magic = CHAINS[spec.chain].magic;
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const byEndpoint = new Map<string, { node: NodePlan; server: net.Server | undefined }>();

  const listeners = plan.nodes.filter((n) => n.listen && n.truth.kind !== 'blackhole');
  for (const n of listeners) prepareAnswer(n, magic);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    for (let i = 0; i < listeners.length; i += 500) {
      await Promise.all(
        listeners.slice(i, i + 500).map((n) =>
          listen(n, magic, timers, sockets).then((s) => {
            servers.push(s);
            byEndpoint.set(n.truth.endpoint, { node: n, server: s });
          }),
        ),
      );
    }
    const routes = new Map<string, { host: string; port: number }>();
    for (const n of plan.nodes) {
      if (
        n.listen &&
        (n.truth.network === 'onion' || n.truth.network === 'i2p' || n.truth.network === 'cjdns')
      ) {
        routes.set(n.truth.host, n.listen);
      }
    }
    const door = await startFrontDoor(routes);
    cleanup.push(door.close);
    const holes = await startBlackholes(
      plan.nodes.filter((n) => n.truth.kind === 'blackhole').map((n) => n.listen!),
    );
    cleanup.push(holes.stop);

    if (opts.groundTruthPath) await writeGroundTruth(opts.groundTruthPath, plan.truth);

    let resolveStopped!: () => void;
    const stopped = new Promise<void>((r) => {
      resolveStopped = r;
    });
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        clearTimeout(auto);
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
        for (const c of cleanup) await c();
        resolveStopped();
      })();
      return stopping;
    };
    const auto = setTimeout(() => void stop(), spec.durationMs);
    auto.unref();
    const setDown = async (endpoints: readonly string[], down: boolean) => {
      for (const endpoint of endpoints) {
        const entry = byEndpoint.get(endpoint);
        if (!entry || (entry.node.truth.network !== 'ipv4' && entry.node.truth.network !== 'ipv6'))
          throw new Error(`simnet: ${endpoint} is not a listening IP node`);
        if (down && entry.server) {
          const server = entry.server;
          entry.server = undefined;
          servers.splice(servers.indexOf(server), 1);
          await new Promise<void>((r) => server.close(() => r()));
        } else if (!down && !entry.server) {
          entry.server = await listen(entry.node, magic, timers, sockets);
          servers.push(entry.server);
        }
      }
    };
    return {
      groundTruth: plan.truth,
      seeds: plan.truth.seeds,
      socksProxy: door.url,
      stopped,
      stop,
      setDown,
      openConnections: () => sockets.size,
    };
  } catch (err) {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const c of cleanup) await c();
    if ((err as NodeJS.ErrnoException).code === 'EMFILE') {
      throw new Error(
        `too many open files for ${listeners.length} listeners: raise the limit (ulimit -n) or use fewer nodes`,
      );
    }
    throw err;
  }
}

function listen(
  n: NodePlan,
  magic: Uint8Array,
  timers: Set<NodeJS.Timeout>,
  sockets: Set<net.Socket>,
): Promise<net.Server> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, n, magic, timers);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(Object.assign(err, { message: `${n.truth.endpoint}: ${err.message}` })),
    );
    server.listen({ host: n.listen!.host, port: n.listen!.port, backlog: 511 }, () => resolve(server));
  });
}
