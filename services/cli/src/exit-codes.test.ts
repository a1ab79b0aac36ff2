import { DialInfrastructureError, ProxyUrlError } from '@bitcrawl/crawler';
import { GeoDbError } from '@bitcrawl/geo';
import { IngesterError } from '@bitcrawl/ingester';
import { ConfigError, InfraError } from '@bitcrawl/model';
import { ProtocolError } from '@bitcrawl/protocol';
import { NoSuchRoundError } from '@bitcrawl/storage';
import { MissingBinaryError } from '@bitcrawl/testkit';
import { EngineThreadError } from '@bitcrawl/worker';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SimnetPortInUseError } from './commands/simnet.ts';
import { StoreUnusableError } from './compose/crawl-store.ts';
import { exitCodeOf } from './exit-codes.ts';
import { UnreachableError } from './reachability.ts';
import { UsageError } from './usage-error.ts';

describe('errors by consequence', () => {
  it.each([
    [new UsageError('bad flag'), 'USAGE'],
    [new GeoDbError('GEO_DB_UNREADABLE', 'no file'), 'GEO_DB_UNREADABLE'],
    [new ProxyUrlError('ftp://x'), 'BAD_PROXY_URL'],
    [new NoSuchRoundError('no observations for round r9'), 'NO_SUCH_ROUND'],
  ] as const)('configuration: %s (code %s) exits with 2', (err, code) => {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe(code);
    expect(exitCodeOf(err)).toBe(2);
  });

  it.each([
    [new DialInfrastructureError('LOCAL_RESOURCES', 'EMFILE'), 'LOCAL_RESOURCES'],
    [new DialInfrastructureError('PROXY_UNREACHABLE', 'socks down'), 'PROXY_UNREACHABLE'],
    [new IngesterError('bad reply'), 'INGESTER_FATAL'],
    [new EngineThreadError('thread 2 exited'), 'ENGINE_THREAD_DIED'],
    [new StoreUnusableError('cannot open the store'), 'STORE_UNUSABLE'],
    [new UnreachableError('cannot reach Redis'), 'UNREACHABLE'],
    [new SimnetPortInUseError('127.1.2.3:8333 in use'), 'PORT_IN_USE'],
    [new MissingBinaryError('redis-server', 'redis-server'), 'MISSING_BINARY'],
  ] as const)('infrastructure: %s (code %s) exits with 1 when final', (err, code) => {
    expect(err).toBeInstanceOf(InfraError);
    expect(err.code).toBe(code);
    expect(err.name).toBe(err.constructor.name);
    expect(exitCodeOf(err)).toBe(1);
  });

  it('bad arguments and settings (commander, zod) are configuration too', () => {
    expect(exitCodeOf(new CommanderError(1, 'commander.unknownOption', 'unknown option'))).toBe(2);
    // --help and --version: commander throws with exit code 0 once it has printed them
    expect(exitCodeOf(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(exitCodeOf(new CommanderError(0, 'commander.version', '0.1.0'))).toBe(0);
    expect(exitCodeOf(z.object({ a: z.string() }).safeParse({}).error)).toBe(2);
  });

  it('a connection refused before any typed error wrapped it is infrastructure', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 1,
    });
    expect(exitCodeOf(refused)).toBe(1);
  });

  it('peer behaviour and bugs have no exit code: peers are outcomes, bugs keep their stack', () => {
    const peer = new ProtocolError('BAD_CHECKSUM', 'checksum mismatch');
    expect(peer).not.toBeInstanceOf(ConfigError);
    expect(peer).not.toBeInstanceOf(InfraError);
    expect(exitCodeOf(peer)).toBeUndefined();
    expect(exitCodeOf(new TypeError('x is undefined'))).toBeUndefined();
  });
});
