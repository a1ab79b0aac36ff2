import { type Command, Option } from 'commander';
import { z } from 'zod';
import { UsageError } from './usage-error.ts';

/**
 * The visit timers `crawl` and `visit` take: each a flag and an environment variable (the
 * worker's names), a flag beating its variable, and both beating `--profile`. Error texts name
 * the flag, so a user knows what to change.
 */
export const TIMEOUT_OPTIONS = [
  {
    flag: '--connect-timeout',
    key: 'connectTimeout',
    env: 'CONNECT_TIMEOUT_MS',
    config: 'connectMs',
    what: 'connect timeout (IP networks; Tor/I2P at least 30 s)',
  },
  {
    flag: '--handshake-timeout',
    key: 'handshakeTimeout',
    env: 'HANDSHAKE_TIMEOUT_MS',
    config: 'handshakeMs',
    what: 'handshake timeout',
  },
  {
    flag: '--getaddr-timeout',
    key: 'getaddrTimeout',
    env: 'GETADDR_TIMEOUT_MS',
    config: 'getaddrMs',
    what: 'how long to wait for a getaddr answer',
  },
  {
    flag: '--idle-timeout',
    key: 'idleTimeout',
    env: 'IDLE_TIMEOUT_MS',
    config: 'idleAfterAnswerMs',
    what: 'silence that ends a large answer',
  },
  {
    flag: '--tentative-idle-timeout',
    key: 'tentativeIdleTimeout',
    env: 'TENTATIVE_IDLE_MS',
    config: 'tentativeIdleMs',
    what: 'after a small (1-10 entry) answer, how long to wait for more',
  },
  {
    flag: '--session-timeout',
    key: 'sessionTimeout',
    env: 'SESSION_TIMEOUT_MS',
    config: 'sessionMs',
    what: 'cap on one visit, whatever happens',
  },
] as const;

type TimerConfigKey = (typeof TIMEOUT_OPTIONS)[number]['config'];
export type Timers = Partial<Record<TimerConfigKey, number>>;

/**
 * Timer presets. `internet` is the built-in defaults (made for real peers, Tor and I2P);
 * `loopback` suits simnets and labs, where every peer is local: a dead address refuses at once
 * and a node that knows too few addresses to answer getaddr need not be waited for 75 s.
 */
export const PROFILES: Record<string, Timers> = {
  internet: {},
  loopback: { connectMs: 1_500, handshakeMs: 2_500, getaddrMs: 3_000, idleAfterAnswerMs: 500 },
};

/** Adds --profile and every timer flag (each with its environment variable) to a command. */
export function addTimeoutOptions(cmd: Command): Command {
  cmd.addOption(
    new Option('--profile <name>', 'timer preset: internet (defaults) or loopback (simnets, labs)').choices(
      Object.keys(PROFILES),
    ),
  );
  for (const t of TIMEOUT_OPTIONS) cmd.addOption(new Option(`${t.flag} <ms>`, t.what).env(t.env));
  return cmd;
}

const ms = z.coerce.number().int().min(1).max(3_600_000);

/** The timers a command was given: flag, else variable, else the profile's; unset ones stay default. */
export function timersFrom(raw: Record<string, unknown>): Timers {
  const profile = typeof raw.profile === 'string' ? (PROFILES[raw.profile] ?? {}) : {};
  const out: Timers = { ...profile };
  for (const t of TIMEOUT_OPTIONS) {
    const v = raw[t.key];
    if (v === undefined || v === '') continue;
    const parsed = ms.safeParse(v);
    if (!parsed.success)
      throw new UsageError(
        `${t.flag} (or ${t.env}): expected milliseconds, a whole number from 1 to 3600000, got "${String(v)}"`,
      );
    out[t.config] = parsed.data;
  }
  return out;
}

/** A crawler configuration error about a timer, in the words of the flags that set it. */
export function timerErrorInFlags(err: z.ZodError): UsageError | undefined {
  const issue = err.issues.find((i) => i.path[0] === 'timeouts' || i.path[0] === 'networkTimeouts');
  if (!issue) return undefined;
  let text = issue.message;
  for (const t of TIMEOUT_OPTIONS) text = text.replaceAll(new RegExp(`\\b${t.config}\\b`, 'g'), t.flag);
  return new UsageError(text);
}
