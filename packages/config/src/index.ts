export * from './configs.ts';
export * from './defaults.ts';
export * from './env.ts';
export { defaultFor, type Knob, numberOf, SERVICE_USES, USES, type Use, type UseSpec } from './knob.ts';
export * from './knobs.ts';
export { PROFILES, type ProfileName } from './knobs-commands.ts';
export { profileEnv, profileTimers } from './profiles.ts';
export { addFlags, envText, flagName, flagsToEnv, fromEnv, fromFlags } from './read.ts';
export { knobTable } from './readme.ts';
