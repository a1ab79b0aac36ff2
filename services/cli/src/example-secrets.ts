import { UsageError } from './usage-error.ts';

/** The .env variable whose value docker-compose pastes into each URL's password. */
const SECRET_OF: Record<string, string> = {
  REDIS_URL: 'REDIS_PASSWORD',
  CLICKHOUSE_URL: 'CLICKHOUSE_PASSWORD',
};

/**
 * A service refuses to start while a password is still .env.example's `change-me-*` placeholder
 * (a copied example file left as it is): one line naming the variable to set, exit 2. The
 * compose file's redis, clickhouse and grafana containers do the same in their entrypoints.
 */
export function refuseExamplePasswords<T extends Record<string, string | undefined>>(env: T): T {
  for (const [name, secret] of Object.entries(SECRET_OF)) {
    const value = env[name];
    if (!value) continue;
    let password = '';
    try {
      password = decodeURIComponent(new URL(value).password);
    } catch {
      continue; // not a URL: the service's own validation names it
    }
    if (password.startsWith('change-me'))
      throw new UsageError(
        `refusing to start: ${name} has the placeholder password of .env.example ("${password}"); ` +
          `set ${secret} in .env to a secret of your own (e.g. openssl rand -hex 24)`,
      );
  }
  return env;
}
