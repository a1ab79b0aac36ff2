export {
  addressFromBytes,
  addressToBytes,
  checkPacked,
  classifyAddress,
  cursorServices,
  decodeBip155,
  EMPTY_PACKED,
  type Endpoint,
  endpointFromKey,
  endpointId,
  endpointKey,
  formatEndpoint,
  formatIPv6,
  isCanonicalHost,
  isIPv4Mapped,
  MAX_PACKED_ENTRIES,
  NETWORKS,
  type Network,
  networkFromBip155Id,
  onionFromPubkey,
  type PackedAddrs,
  type PackedCursor,
  packAddrs,
  packedCount,
  parseEndpoint,
  parseEndpointId,
  type Reachability,
  unpackAddrs,
  walkPacked,
} from './address/index.ts';
export {
  EMPTY_LIST,
  keyStart,
  type PackedList,
  packedListOf,
  packList,
  servicesAt,
  timeAt,
} from './address/packed-list.ts';
export { ProtocolError, type ProtocolErrorCode } from './errors.ts';
export { encodeFrame } from './framer.ts';
export { checksum } from './hash.ts';
export { messageToJson } from './json.ts';
export { decodeMessage, encodeMessage, encodeMessageFrame, type Message } from './message.ts';
export { type AddrEntry, MAX_ADDR_ENTRIES } from './messages/addr.ts';
export { decodeAddrPacked, type PackedAddrMessage } from './messages/addr-packed.ts';
export type { NetAddrField } from './messages/netaddr.ts';
export { coreVersion, type VersionMessage } from './messages/version.ts';
export { CHAIN_NAMES, CHAINS, type ChainName, chainByName } from './networks.ts';
export { type Frame, FrameParser } from './parser.ts';
export { MessageStreamDecoder } from './stream-decoder.ts';
export { type EllswiftKey, ellswiftCreate } from './v2/ellswift-key.ts';
export { V2Transport } from './v2/transport.ts';
export { Writer } from './writer.ts';
