export * from './http.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './service.ts';
