export { startMetricsServer } from './http.ts';
export { createLogger, type Logger, type LogLevel, silentLogger } from './logger.ts';
export { loopLag } from './loop-lag.ts';
export { createMetrics, type Metrics, PROCESS_PREFIX } from './metrics.ts';
export { type RunningService, runUntilStopped } from './service.ts';
