export { inputOf, parseNamed } from './configs.ts';
export { numberOf, type Use } from './knob.ts';
export { KNOBS, type Values } from './knobs.ts';
export { profileEnv, profileTimers } from './profiles.ts';
export { addFlags, flagsToEnv, fromEnv, fromFlags } from './read.ts';
