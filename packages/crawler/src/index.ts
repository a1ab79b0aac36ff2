// The crawler API other packages use: the visitor, its config and the errors they tell apart.
// The session, handshake machine and dialers stay internal (scripts/package-edges.ts reports an
// export here no other package imports).
export { type CrawlerConfig, crawlerConfigSchema } from './config.ts';
export { DialInfrastructureError, ProxyUrlError } from './dial.ts';
export { fitVisitsToFdLimit } from './fd-limit.ts';
export { createVisitor, type Visitor } from './visitor.ts';
