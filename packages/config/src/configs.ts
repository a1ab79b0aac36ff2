import { withEnvNames } from './env.ts';
import type { Knob, Use } from './knob.ts';
import { knobsOf } from './knobs.ts';
import { flagName } from './read.ts';

/** The configs knobs feed (each knob's `to` names one): parsed by the library or service that owns them. */
export type Component = 'crawler' | 'worker' | 'seeder' | 'ingester' | 'frontier';

function targets(k: Knob, component: Component): string[] {
  return (k.to ?? []).filter((t) => t.startsWith(`${component}.`)).map((t) => t.slice(component.length + 1));
}

/**
 * The input of one component's config from the knob values `use` read: each value set at its
 * path ('timeouts.connectMs' nests), unset ones left out so the component's own defaults (and
 * the crawler's per-network timer floors) apply.
 */
export function inputOf(component: Component, use: Use, values: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, k] of knobsOf(use)) {
    const v = (values as Record<string, unknown>)[key];
    if (v === undefined) continue;
    for (const path of targets(k, component)) {
      const parts = path.split('.');
      let at = out;
      for (const p of parts.slice(0, -1)) {
        at[p] ??= {};
        at = at[p] as Record<string, unknown>;
      }
      at[parts[parts.length - 1] as string] = v;
    }
  }
  return out;
}

/** How the user names each config path of a component: its variable (services) or its flag (commands). */
export function knobNames(component: Component, use: Use, by: 'env' | 'flag'): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [key, k] of knobsOf(use)) {
    const name = by === 'flag' && k.flag ? flagName(k.flag) : (k.env ?? key);
    for (const path of targets(k, component)) names[path] = name;
  }
  return names;
}

/**
 * Parses a component's config, an error naming the variable or flag each value came from: in its
 * path, and in its words (a cross-check says "--getaddr-timeout (3000) must be less than
 * --session-timeout (1000)", not the config's field names).
 */
export function parseNamed<T>(component: Component, use: Use, by: 'env' | 'flag', parse: () => T): T {
  const names = knobNames(component, use, by);
  try {
    return withEnvNames(names, parse);
  } catch (err) {
    const issues = (err as { issues?: { message: string }[] }).issues;
    if (by === 'flag' && Array.isArray(issues))
      for (const issue of issues)
        for (const [path, name] of Object.entries(names)) {
          const field = path.split('.').pop() as string;
          if (!field.endsWith('Ms')) continue; // the timers' cross-checks; other words stay words
          issue.message = issue.message.replaceAll(new RegExp(`\\b${field}\\b`, 'g'), name);
        }
    throw err;
  }
}
