/**
 * npm run bench:timeline — the network-over-time reads on a store of 30 rounds of a 60,000-address
 * network (synthesized with INSERT ... SELECT on embedded chdb: a third of the addresses up in
 * ~90% of rounds, the rest in ~15%; 50 gossiped addresses per reachable visit), timed as the
 * commands run (the CLI bundle, a fresh process each, as the Docker image runs it):
 * `report`, `export seeds|bitnodes|csv`, and the reliability query alone; and the store's size on
 * disk per round, per table. Target: each command <= 5 s on the 2-core development machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { listRounds, migrate, nodeReliability, openStore, queryRows } from '@bitcrawl/storage';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const ADDRESSES = Number(process.env.BENCH_ADDRESSES ?? 60_000);
const GOSSIP_PER_OK = Number(process.env.BENCH_GOSSIP_PER_OK ?? 50);
const TARGET_S = 5;
const root = path.resolve(import.meta.dirname, '../..');
execFileSync(process.execPath, [path.join(root, 'services/cli/build.mjs')], { stdio: 'inherit' });
const bin = path.join(root, 'services/cli/dist/bitcrawl.mjs');
// BENCH_STORE=DIR times the commands on a store an earlier run synthesized (it prints its path).
const dir = process.env.BENCH_STORE ?? mkdtempSync(path.join(tmpdir(), 'bitcrawl-timeline-bench-'));

const store = await openStore({ dir });
await migrate(store);
const base = Date.UTC(2026, 10, 1);
const t0 = performance.now();
if (!process.env.BENCH_STORE) await synthesize();
async function synthesize() {
  // One round every 30 minutes; visits spread over 10 minutes of the round.
  await store.client.command({
    query: `INSERT INTO observations (ts, ts_ms, crawl_id, network, host, port, outcome, error, protocol_version,
      services, user_agent, start_height, relay, clock_offset_s, connect_ms, handshake_ms, addrs_received)
    SELECT toDateTime(intDiv(t, 1000)) AS ts, t AS ts_ms, concat('r', leftPad(toString(r), 3, '0')) AS crawl_id,
      if(n % 10 = 0, 'ipv6', 'ipv4') AS network,
      if(n % 10 = 0, concat('2001:db8::', lower(hex(toUInt32(n)))), IPv4NumToString(toUInt32(167772160 + n))) AS host,
      8333 AS port, if(ok, 'ok', 'connect_timeout') AS outcome, if(ok, '', 'timeout') AS error,
      if(ok, 70016, 0) AS protocol_version, if(ok, [1033, 3081, 1097, 3145][(n % 4) + 1], 0) AS services,
      if(ok, ['/Satoshi:27.1.0/', '/Satoshi:28.1.0/', '/Satoshi:29.0.0/', '/Satoshi:30.0.0/', '/btcd:0.24.2/'][(n % 5) + 1], '') AS user_agent,
      if(ok, 920000 + r * 3 - (n % 7), 0) AS start_height, ok AS relay, 0 AS clock_offset_s,
      if(ok, 40, 3000) AS connect_ms, if(ok, 90, 0) AS handshake_ms, if(ok, ${GOSSIP_PER_OK}, 0) AS addrs_received
    FROM (SELECT number % ${ADDRESSES} AS n, intDiv(number, ${ADDRESSES}) AS r,
            ${base} + r * 1800000 + intDiv(n * 600000, ${ADDRESSES}) AS t,
            toUInt8((cityHash64(n, r) % 100) < if(n % 3 = 0, 90, 15)) AS ok
          FROM numbers(${ROUNDS * ADDRESSES}))`,
    clickhouse_settings: store.settings,
  });
  // Gossip as the ingester writes it since migration 0006: one row of arrays per answer.
  const each = (expr: string) => `arrayMap(k -> ${expr}, range(${GOSSIP_PER_OK}))`;
  await store.client.command({
    query: `INSERT INTO gossip
    SELECT o.ts, o.crawl_id, o.network, o.host, o.port, ${each('toUInt8(1)')},
      ${each(`IPv4NumToString(toUInt32(167772160 + (cityHash64(o.host, k) % ${ADDRESSES * 2})))`)},
      ${each('toUInt16(8333)')}, ${each('toUInt64(1033)')},
      ${each('o.ts - toIntervalSecond(cityHash64(k, o.host) % 172800)')}
    FROM (SELECT ts, crawl_id, network, host, port FROM observations WHERE outcome = 'ok') AS o`,
    clickhouse_settings: store.settings,
  });

  await store.client.command({ query: 'OPTIMIZE TABLE observations FINAL' });
  await store.client.command({ query: 'OPTIMIZE TABLE gossip FINAL' });
}
const [counts] = await queryRows(
  store,
  `SELECT (SELECT count() FROM observations) AS obs, (SELECT sum(length(a_host)) FROM gossip) AS gossip`,
);
console.log(
  `store ${dir}: ${ROUNDS} rounds x ${ADDRESSES} addresses = ${counts?.obs} observations, ${counts?.gossip} gossip rows (synthesized in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
const parts = await queryRows<{ table: string; bytes: string; rows: string }>(
  store,
  `SELECT table, sum(bytes_on_disk) AS bytes, sum(rows) AS rows FROM system.parts WHERE active AND database = currentDatabase()
   AND table IN ('observations', 'gossip') GROUP BY table ORDER BY table`,
);
for (const p of parts) {
  const bytes = Number(p.bytes);
  // gossip holds one row of arrays per answer: per gossiped address is the figure that scales.
  const perRow = p.table === 'gossip' ? Number(counts?.gossip) : Number(p.rows);
  console.log(
    `  ${p.table.padEnd(13)} ${(bytes / 2 ** 20).toFixed(1)} MiB on disk: ${(bytes / ROUNDS / 2 ** 20).toFixed(2)} MiB per round, ${(bytes / perRow).toFixed(1)} bytes per ${p.table === 'gossip' ? 'gossiped address' : 'row'}`,
  );
}
const rounds = await listRounds(store);
const t1 = performance.now();
const c1 = process.cpuUsage();
const rel = await nodeReliability(store, { round: rounds.at(-1) as (typeof rounds)[number] });
const relCpu = process.cpuUsage(c1);
const relS = (performance.now() - t1) / 1000;
await store.close();

// Wall time, and the CPU time the command used (user + system, all its threads: chdb runs in
// the process): on a machine others load, wall time grows with the load, CPU time much less.
// [what, wall s, CPU s, peak RSS MiB (NaN in process or without GNU time)]
const rows: [string, number, number, number][] = [
  ['reliability query (in process, all endpoints)', relS, (relCpu.user + relCpu.system) / 1e6, Number.NaN],
];
for (const args of [['report'], ['export', 'seeds'], ['export', 'bitnodes'], ['export', 'csv']]) {
  const t = performance.now();
  // GNU time prints the command's user and system time and its peak RSS on stderr's last line;
  // without it, bash's `times` gives the times (children's user and system) and RSS is unknown.
  const gnuTime = existsSync('/usr/bin/time');
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, bin, ...args, '--store', dir], {
        maxBuffer: 1 << 30,
        encoding: 'utf8',
      })
    : spawnSync(
        'bash',
        ['-c', '"$0" "$@"; s=$?; times >&2; exit $s', process.execPath, bin, ...args, '--store', dir],
        { maxBuffer: 1 << 30, encoding: 'utf8' },
      );
  const s = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const g = /([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stderr);
  const cpu = g
    ? Number(g[1]) + Number(g[2])
    : m
      ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])
      : Number.NaN;
  rows.push([
    `bitcrawl ${args.join(' ')} (${r.stdout.split('\n').length - 1} lines out)`,
    s,
    cpu,
    g ? Number(g[3]) / 1024 : Number.NaN,
  ]);
}
console.log(
  `\n${rel.length} endpoints; target <= ${TARGET_S} s per command on this machine (load average now ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} on ${os.cpus().length} cores: anything else running shows directly in these figures)`,
);
for (const [what, s, cpu, rss] of rows)
  console.log(
    `  ${what.padEnd(52)} ${s.toFixed(2).padStart(6)} s (CPU ${cpu.toFixed(2).padStart(5)} s${Number.isNaN(rss) ? '' : `, peak RSS ${rss.toFixed(0)} MiB`})   ${s <= TARGET_S ? 'within' : 'OVER'} the ${TARGET_S} s target`,
  );
