import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { ConfigError } from '@bitcrawl/model';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { stringLiteral } from './sql/literal.ts';

export class SpoolPathError extends ConfigError {
  readonly code = 'SPOOL_PATH';
}

/** Characters ClickHouse's file() reads as wildcards: a path holding one would match nothing, silently. */
const WILDCARD = /[*?{}]/;

/** A column of a binary insert: its name and its ClickHouse type. */
export type ColumnType = readonly [name: string, type: string];

/**
 * Binary inserts into embedded chdb, through a file. chdb's inline insert takes only text
 * formats; `INSERT ... SELECT FROM file(path, RowBinary)` reads the bytes as they are, and
 * measured faster still than an inline insert (a 300,000-entry batch: 85 ms of CPU against
 * 120 inline and 220-370 as TabSeparated). Each insert writes its own file in the spool
 * directory and removes it once the insert ended, whatever its outcome.
 */
export class InsertSpool {
  private seq = 0;
  private constructor(
    private readonly dir: string,
    private readonly owned: boolean,
  ) {}

  /**
   * The spool of the store at `storeDir`: its `spool` directory (emptied: only the one process
   * that holds the store writes there), or a fresh directory in the system's temporary one when
   * the store's path holds a wildcard character. Throws SpoolPathError when both do.
   */
  static open(storeDir: string): InsertSpool {
    const inStore = path.join(storeDir, 'spool');
    if (!WILDCARD.test(inStore)) {
      rmSync(inStore, { recursive: true, force: true });
      mkdirSync(inStore, { recursive: true });
      return new InsertSpool(inStore, false);
    }
    const tmp = os.tmpdir();
    if (WILDCARD.test(tmp))
      throw new SpoolPathError(
        `neither the store's path (${storeDir}) nor the temporary directory (${tmp}) is free of * ? { }, ` +
          'which ClickHouse reads as wildcards in a file path: choose a store path without them',
      );
    return new InsertSpool(mkdtempSync(path.join(tmp, 'bitcrawl-spool-')), true);
  }

  /** Inserts RowBinary `bytes` of these columns, in this order, into `table`. */
  async insert(
    client: ClickHouseClient,
    settings: ClickHouseSettings,
    table: string,
    columns: readonly ColumnType[],
    bytes: Uint8Array,
  ): Promise<void> {
    const file = path.join(this.dir, `${process.pid}-${threadId}-${++this.seq}.rowbinary`);
    const names = columns.map(([name]) => name).join(', ');
    const structure = columns.map(([name, type]) => `${name} ${type}`).join(', ');
    try {
      await writeFile(file, bytes);
      await client.command({
        query: `INSERT INTO ${table} (${names}) SELECT * FROM file(${stringLiteral(file)}, 'RowBinary', ${stringLiteral(structure)})`,
        clickhouse_settings: settings,
      });
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Removes the spool directory if this spool made it. */
  close(): void {
    if (this.owned) rmSync(this.dir, { recursive: true, force: true });
  }
}
