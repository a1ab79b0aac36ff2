export { seederConfigFrom } from './config.ts';
export { main } from './main.ts';
export { type RoundPoll, type RoundWatch, runRounds } from './rounds.ts';
export { type SeederConfig, type SeedSources, seederConfigSchema } from './seeder.ts';
export { start } from './start.ts';
