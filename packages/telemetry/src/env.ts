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
