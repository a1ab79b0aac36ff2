// The storage API other packages use: typed reads and writes, migrations, the store. The SQL
// builders and the binding layer stay inside (storage owns SQL). Add a name here when another
// package needs it; scripts/package-edges.ts lists who imports what.
export { BACKGROUND_NICE, lowerEngineThreads, lowerThisThread } from './background-priority.ts';
export { insertIsolatingRejects } from './isolate.ts';
export { formatDateTime, migrate, splitStatements } from './migrate.ts';
export { queryRows, roundSummary } from './queries.ts';
export {
  geoBreakdown,
  hasGeo,
  NoSuchRoundError,
  outcomesByRound,
  reachableByRound,
  topErrors,
  transportByRound,
  userAgents,
} from './reads/report.ts';
export { visitedAddressesPage } from './reads/visited.ts';
export { inRoundOrder } from './round-order.ts';
export type { ColumnType } from './spool.ts';
export { openStore, type Store, type StoreOptions } from './store.ts';
export { roundReachableHeight, type SnapshotNode, streamSnapshotNodes } from './timeline/bitnodes.ts';
export { insertNodeLocation, locationBreakdown, type NodeLocationRow } from './timeline/location.ts';
export {
  goodByNetwork,
  type NodeReliability,
  nodeReliability,
  streamNodeReliability,
} from './timeline/reliability.ts';
export { RELIABILITY_WINDOWS } from './timeline/reliability-sql.ts';
export { applyGossipRetention } from './timeline/retention.ts';
export { roundFigures, writeRoundRows } from './timeline/round-end.ts';
export { findRound, knownEndpoints, listRounds, readRounds } from './timeline/rounds.ts';
export { sessionSummary, uptimeSessions } from './timeline/sessions.ts';
export { churnByRound, unreachableEstimate, v2Adoption } from './timeline/trends.ts';
export { queryTypedRows, withExactNumbers } from './typed-rows.ts';
export type { UnroutedRow } from './unrouted.ts';
export { insertNodeGeo, insertObservations, type NodeGeoRow } from './writer.ts';
