export { ConfigError, InfraError, reviveError, type SerializedError, serializeError } from './errors.ts';
export {
  endpointSchema,
  type GossipedAddress,
  MAX_DATETIME_S,
  MAX_ERROR_LENGTH,
  NETWORKS,
  type Network,
  NODE_P2P_V2,
  type Observation,
  type Outcome,
  observationFromStream,
  observationHeaderJson,
  observationSchema,
  observationToJson,
  truncateText,
} from './observation.ts';
