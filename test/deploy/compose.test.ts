import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_BIN, cliBudget } from '@bitcrawl/testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const compose = (envFile: string) =>
  spawnSync(
    'docker-compose',
    ['--env-file', envFile, '-f', path.join(root, 'docker-compose.yml'), 'config'],
    {
      cwd: root,
      encoding: 'utf8',
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !/PASSWORD|_USER$/.test(k))),
    },
  );

type Service = {
  container_name?: string;
  ports?: (string | { host_ip?: string; published?: string | number })[];
  healthcheck?: { test: unknown; timeout?: string };
  entrypoint?: string[];
  command?: string[];
  build?: string | { context: string };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  profiles?: string[];
};

describe('docker-compose.yml', () => {
  const resolved = compose(path.join(root, '.env.example'));

  it('is valid for docker-compose config', () => {
    expect(resolved.status, resolved.stderr).toBe(0);
  });

  it('refuses to resolve without the secrets from .env', () => {
    const empty = path.join(mkdtempSync(path.join(tmpdir(), 'bitcrawl-env-')), '.env');
    writeFileSync(empty, 'CHAIN=mainnet\n');
    const r = compose(empty);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set REDIS_PASSWORD in \.env/);
  });

  const services = (parse(resolved.stdout) as { services: Record<string, Service> }).services;

  it('has the whole topology, overlays behind profiles', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'clickhouse',
        'dashboard',
        'grafana',
        'i2pd',
        'ingester',
        'prometheus',
        'redis',
        'seeder',
        'tor',
        'worker',
      ].sort(),
    );
    expect(services.tor?.profiles).toEqual(['tor']);
    expect(services.i2pd?.profiles).toEqual(['i2p']);
  });

  it('lets the worker scale: no container_name, no host ports', () => {
    expect(services.worker?.container_name).toBeUndefined();
    expect(services.worker?.ports).toBeUndefined();
  });

  it("runs the worker with the crawler's WORKER_V8_FLAGS", async () => {
    const { WORKER_V8_FLAGS } = await import('@bitcrawl/crawler/worker-flags');
    const flags = (services.worker?.environment?.NODE_OPTIONS ?? '').split(/\s+/);
    expect(WORKER_V8_FLAGS.length).toBeGreaterThan(0);
    for (const f of WORKER_V8_FLAGS) expect(flags).toContain(f);
    for (const s of Object.values(services)) expect(s.container_name).toBeUndefined();
  });

  it('has a healthcheck everywhere and depends_on with conditions', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.healthcheck, name).toBeDefined();
      for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
        expect(cond.condition, `${name} -> ${dep}`).toBe('service_healthy');
      }
    }
    expect(Object.keys(services.ingester?.depends_on ?? {}).sort()).toEqual(['clickhouse', 'redis']);
  });

  it('publishes only dashboard ports, and only on 127.0.0.1', () => {
    const published = Object.entries(services).filter(([, s]) => s.ports?.length);
    expect(published.map(([n]) => n).sort()).toEqual(['dashboard', 'grafana', 'prometheus']);
    for (const [, s] of published) {
      for (const p of s.ports ?? []) {
        const hostIp = typeof p === 'string' ? p.split(':')[0] : p.host_ip;
        expect(hostIp).toBe('127.0.0.1');
      }
    }
  });

  // Issue 17, finding 8.
  it('gives every healthcheck a timeout', () => {
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.timeout, name).toMatch(/^\d+s$/);
  });

  it('starts Grafana without the internet: the ClickHouse plugin is built into its image', () => {
    const grafana = services.grafana as Service;
    expect(JSON.stringify(grafana.environment ?? {})).not.toMatch(/GF_INSTALL_PLUGINS/);
    const context = typeof grafana.build === 'string' ? grafana.build : grafana.build?.context;
    expect(context).toBe(path.join(root, 'infra/grafana'));
    const dockerfile = readFileSync(path.join(root, 'infra/grafana/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/plugins install grafana-clickhouse-datasource/);
    expect(dockerfile).toMatch(/^ENV GF_PATHS_PLUGINS=\/opt\/grafana-plugins$/m);
    // The one plugin the dashboards and datasources need besides what Grafana ships with.
    const ds = readFileSync(
      path.join(root, 'infra/grafana/provisioning/datasources/datasources.yaml'),
      'utf8',
    );
    const types = [...ds.matchAll(/type: (\S+)/g)].map((m) => m[1]).filter((t) => t !== 'prometheus');
    expect(types).toEqual(['grafana-clickhouse-datasource']);
  });

  it('redis, clickhouse and grafana refuse the example passwords, naming the variable', () => {
    // The guard each one runs before its server (compose turns $$ into $), run here with sh.
    const guards: [string, string, Record<string, string>][] = [
      ['redis', (services.redis?.command ?? [])[2] as string, { REDIS_PASSWORD: 'change-me-redis' }],
      [
        'clickhouse',
        (services.clickhouse?.entrypoint ?? [])[2] as string,
        { CLICKHOUSE_PASSWORD: 'change-me-clickhouse' },
      ],
      [
        'grafana',
        (services.grafana?.entrypoint ?? [])[2] as string,
        { GF_SECURITY_ADMIN_PASSWORD: 'change-me-grafana', CLICKHOUSE_PASSWORD: 'x' },
      ],
    ];
    for (const [name, script, env] of guards) {
      expect(script, name).toMatch(/ exec /);
      const guard = script.replaceAll('$$', '$').split(' exec ')[0] as string;
      const placeholder = spawnSync('sh', ['-c', `${guard} echo started`], { encoding: 'utf8', env });
      expect(placeholder.status, name).toBe(1);
      expect(placeholder.stderr, name).toMatch(
        /^refusing to start: (REDIS_PASSWORD|CLICKHOUSE_PASSWORD|GRAFANA_ADMIN_PASSWORD) is still the placeholder from \.env\.example/,
      );
      const real = Object.fromEntries(Object.keys(env).map((k) => [k, 'f3a9c1d27b']));
      const ok = spawnSync('sh', ['-c', `${guard} echo started`], { encoding: 'utf8', env: real });
      expect(ok.stdout, name).toBe('started\n');
    }
  });

  it(
    'bitcrawl services refuse them too: one line naming the variable, exit 2',
    { timeout: cliBudget(4) },
    () => {
      for (const name of ['seeder', 'worker', 'ingester', 'dashboard']) {
        const env = services[name]?.environment ?? {};
        const r = spawnSync(process.execPath, [CLI_BIN, name], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, ...env },
        });
        expect(r.status, name).toBe(2);
        expect(r.stderr, name).toMatch(
          /^bitcrawl: refusing to start: REDIS_URL has the placeholder password of \.env\.example \("change-me-redis"\); set REDIS_PASSWORD in \.env/,
        );
      }
    },
  );

  it("runs the README's query and report against the compose ClickHouse (CLICKHOUSE_URL in that service)", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const runs = [...readme.matchAll(/^docker compose run --rm --no-deps (\w+) (query|report)\b/gm)];
    expect(runs.map((m) => m[2]).sort()).toEqual(['query', 'report']);
    for (const [, service] of runs)
      expect(services[service as string]?.environment?.CLICKHOUSE_URL).toMatch(
        /^http:\/\/bitcrawl:.*@clickhouse:8123$/,
      );
    expect(readme).toContain('`docker-compose`'); // Debian's 1.29 named beside `docker compose`
  });

  it('gives every bitcrawl service an environment its main.ts accepts', async () => {
    const { fromEnv } = await import('@bitcrawl/config');
    const { workerConfigFrom } = await import('@bitcrawl/worker');
    const { seederConfigFrom } = await import('@bitcrawl/seeder');
    const { ingesterConfigFrom } = await import('@bitcrawl/ingester');
    const configs: Record<string, (env: Record<string, string>) => unknown> = {
      seeder: (env) => seederConfigFrom(fromEnv('seeder', env)),
      worker: (env) => workerConfigFrom(fromEnv('worker', env)),
      ingester: (env) => ingesterConfigFrom(fromEnv('ingester', env)),
      dashboard: (env) => fromEnv('dashboard', env),
    };
    for (const [name, configOf] of Object.entries(configs)) {
      const env = services[name]?.environment;
      expect(env, name).toBeDefined();
      expect(() => configOf(env ?? {}), name).not.toThrow();
    }
    // the case that crash-looped workers: optional proxies passed as '' when .env leaves them empty
    expect(services.worker?.environment?.PROXY_ONION).toBe('');
    const worker = fromEnv('worker', services.worker?.environment ?? {});
    expect(worker.proxyOnion).toBeUndefined();
    expect(worker.concurrency).toBe(500);
    expect(worker.roundIntervalMs).toBe(1_800_000);
    // GeoIP/ASN enrichment is off unless .env names a file in ./geoip (mounted read-only).
    const ingester = fromEnv('ingester', services.ingester?.environment ?? {});
    expect(ingester.geoipAsnDb).toBeUndefined();
    expect(ingester.cloudAsns).toBeUndefined();
    expect((services.ingester as { volumes?: string[] }).volumes).toEqual([`${root}/geoip:/geoip:ro`]);
  });

  it('has Prometheus scrape every service that serves /metrics, on the port it serves', async () => {
    const prom = parse(readFileSync(path.join(root, 'infra/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    const targets = new Map(
      prom.scrape_configs.flatMap((c) =>
        (c.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => [n, d.port])),
      ),
    );
    const { fromEnv } = await import('@bitcrawl/config');
    for (const name of ['seeder', 'worker', 'ingester'] as const) {
      const env = fromEnv(name, services[name]?.environment ?? {});
      expect(env.metricsHost, name).toBe('0.0.0.0');
      expect(targets.get(name), name).toBe(env.metricsPort);
    }
  });

  it('bounds Redis memory and checks Tor with a probe its image has', () => {
    const redisCmd = ((services.redis as { command?: string[] }).command ?? []).join(' ');
    expect(redisCmd).toMatch(/--maxmemory "\$\$?REDIS_MAXMEMORY"/);
    expect(services.redis?.environment?.REDIS_MAXMEMORY).toBe('2gb');
    expect(JSON.stringify(services.tor?.healthcheck?.test)).toContain('/dev/tcp/127.0.0.1/9050');
  });

  it('keeps secrets out of the file: every password is a variable from .env', () => {
    const raw = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    for (const line of raw
      .split('\n')
      .filter((l) => /PASSWORD|requirepass/.test(l) && !l.trim().startsWith('#'))) {
      expect(line, line).toMatch(/\$\{?[A-Z_]+|\$\$REDIS_PASSWORD/);
    }
    // change-me appears only as the pattern the guards refuse (`case ... in change-me*)`).
    expect(raw.replaceAll('change-me*)', '')).not.toMatch(/change-me/);
    expect(readFileSync(path.join(root, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
  });
});

describe('Dockerfile', () => {
  it('copies every workspace manifest before npm ci (cached dependency layer), the sources after', async () => {
    const { readdirSync, existsSync } = await import('node:fs');
    const text = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const [beforeCi] = text.split('RUN npm ci');
    const workspaces = ['packages', 'services'].flatMap((d) =>
      readdirSync(path.join(root, d))
        .filter((w) => existsSync(path.join(root, d, w, 'package.json')))
        .map((w) => `${d}/${w}`),
    );
    for (const w of [...workspaces, 'test']) expect(beforeCi, w).toContain(`COPY ${w}/package.json ${w}/`);
    expect(beforeCi).not.toMatch(/^COPY (packages|services)\/ /m);
    expect(text).toMatch(/chown node:node \/app\/data/);
  });
});
