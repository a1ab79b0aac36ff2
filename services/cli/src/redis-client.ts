/**
 * ioredis for the commands that load it lazily (`await import('./redis-client.ts')`). A lazy
 * import of a CommonJS package straight from the bundle gives its module.exports as the default
 * export only, so the named one is taken here, statically.
 */
export { Redis } from 'ioredis';
