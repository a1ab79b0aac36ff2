export { seederConfigFrom } from './config.ts';
export { main } from './main.ts';
export {
  nextRoundStart,
  type RoundEnd,
  type RoundHooks,
  type RoundPoll,
  type RoundWatch,
  runRounds,
  sleepUnless,
  watchRound,
} from './rounds.ts';
export {
  newCrawlId,
  type SeedDeps,
  type SeederConfig,
  type SeedSources,
  seederConfigSchema,
  seedKnown,
  seedRound,
} from './seeder.ts';
export { start } from './start.ts';
