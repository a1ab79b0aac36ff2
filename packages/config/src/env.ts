/**
 * The message for a URL variable that does not parse. Passwords are pasted into REDIS_URL and
 * CLICKHOUSE_URL (docker-compose does so from .env), and a secret with / @ # ? breaks the URL.
 */
export const URL_WITH_SECRET_HINT =
  'not a valid URL (a password in it must be URL-safe: letters and digits, or percent-encoded)';

/**
 * Parses a service's environment with its schema, treating a variable set to '' as unset.
 * docker-compose passes `${VAR:-}` as an empty string when VAR is not in .env, and shells
 * often export `VAR=`; both mean "not configured", so optional variables stay undefined and
 * defaulted ones take their default instead of failing validation (e.g. `.url()` on '').
 * A required variable that is empty is reported as missing. Every service's main.ts calls this
 * once; nothing else reads process.env.
 */
export function parseEnv<T>(
  schema: { parse(input: unknown): T },
  env: Readonly<Record<string, string | undefined>>,
): T {
  return schema.parse(withoutEmpty(env));
}

/** The environment without variables that are unset or ''. */
export function withoutEmpty(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/**
 * Runs `parse` (a service config schema's parse over values read from the environment) and,
 * when it throws a validation error, renames each issue's path to the variable the value came
 * from: `names` maps a config path ("batchSize", "timeouts.connectMs") to its variable, and
 * the longest matching prefix wins. The operator then reads "BATCH_SIZE: Too small", not a
 * config field name they never set.
 */
export function withEnvNames<T>(names: Readonly<Record<string, string>>, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const issues = (err as { issues?: { path: PropertyKey[] }[] }).issues;
    if (Array.isArray(issues)) {
      for (const issue of issues) {
        for (let n = issue.path.length; n > 0; n--) {
          const name = names[issue.path.slice(0, n).map(String).join('.')];
          if (name) {
            issue.path = [name, ...issue.path.slice(n)];
            break;
          }
        }
      }
    }
    throw err;
  }
}
