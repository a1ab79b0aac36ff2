import { budget } from './time-budget.ts';

/**
 * The crawler's timers for a test's crawl of a simnet: what `--profile loopback` gives an idle
 * machine (connect 1.5 s, handshake 2.5 s, getaddr 3 s, idle gap 0.5 s), scaled to this one's
 * measured speed. Fixed, they end visits early on a loaded machine (a busy event loop answers
 * late), and the crawl no longer matches the simnet's ground truth.
 */
export function loopbackTimers() {
  return {
    connectMs: budget(1_500),
    handshakeMs: budget(2_500),
    getaddrMs: budget(3_000),
    idleAfterAnswerMs: budget(500),
  };
}

/** The same as `crawl`/`visit` flags. */
export function loopbackTimerFlags(): string[] {
  const t = loopbackTimers();
  return [
    '--connect-timeout',
    String(t.connectMs),
    '--handshake-timeout',
    String(t.handshakeMs),
    '--getaddr-timeout',
    String(t.getaddrMs),
    '--idle-timeout',
    String(t.idleAfterAnswerMs),
  ];
}

/** The same as the worker's environment variables. */
export function loopbackTimerEnv(): Record<string, string> {
  const t = loopbackTimers();
  return {
    CONNECT_TIMEOUT_MS: String(t.connectMs),
    HANDSHAKE_TIMEOUT_MS: String(t.handshakeMs),
    GETADDR_TIMEOUT_MS: String(t.getaddrMs),
    IDLE_TIMEOUT_MS: String(t.idleAfterAnswerMs),
  };
}
