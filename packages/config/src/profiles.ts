import { KNOBS } from './knobs.ts';
import { PROFILES, type ProfileName } from './knobs-commands.ts';

type Timers = Partial<Record<keyof (typeof PROFILES)['loopback'], number>>;

/**
 * Fills the timers a command was not given (by flag or variable) from its --profile: a flag or
 * variable beats the profile, which beats the built-in defaults.
 */
export function profileTimers<V extends Timers>(values: V & { profile?: ProfileName | undefined }): V {
  const preset: Timers = values.profile ? PROFILES[values.profile] : {};
  const out = { ...values };
  for (const [key, ms] of Object.entries(preset) as [keyof Timers, number][])
    if (out[key] === undefined) (out as Timers)[key] = ms;
  return out;
}

/** A profile's timers as the variables the workers read (what `stack --profile` passes them). */
export function profileEnv(name: ProfileName | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, ms] of Object.entries(name ? PROFILES[name] : {}))
    env[KNOBS[key as keyof Timers].env as string] = String(ms);
  return env;
}
