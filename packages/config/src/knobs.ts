import type { Knob, Use, ValueFor } from './knob.ts';
import { COMMAND_KNOBS } from './knobs-commands.ts';
import { CRAWLER_KNOBS } from './knobs-crawler.ts';
import { SERVICE_KNOBS } from './knobs-services.ts';

/** Every knob of every service and command, by its config key. */
export const KNOBS = { ...CRAWLER_KNOBS, ...SERVICE_KNOBS, ...COMMAND_KNOBS } as const;
export type KnobKey = keyof typeof KNOBS;

type Knobs = typeof KNOBS;
/** The values `use` reads, typed: a knob with a default (or required there) is never undefined. */
export type Values<U extends Use> = {
  [k in KnobKey as U extends keyof Knobs[k]['uses'] ? k : never]: ValueFor<Knobs[k], U>;
};

/** The knobs `use` reads, with their keys. */
export function knobsOf(use: Use): [KnobKey, Knob][] {
  return (Object.entries(KNOBS) as [KnobKey, Knob][]).filter(([, k]) => use in k.uses);
}
