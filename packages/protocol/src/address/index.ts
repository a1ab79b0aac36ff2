export * from './codec.ts';
export * from './endpoint.ts';
export * from './i2p.ts';
export { formatIPv4, formatIPv6 } from './ip.ts';
export * from './packed.ts';
export * from './reachability.ts';
export * from './tor.ts';
export * from './types.ts';
