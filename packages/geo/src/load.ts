import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { GeoDbError } from './errors.ts';
import { MAX_LINE_BYTES, parseAsnCsvLine, parseLine, splitLines } from './parse.ts';
import { GeoDb, type GeoRange } from './table.ts';

export interface LoadOptions {
  /**
   * Skip malformed and overlong lines instead of failing, counting them in `skipped` (for a
   * file with a few odd lines you have checked). Off by default: a bad file should be noticed.
   */
  lenient?: boolean;
}

export interface LoadedGeoDb {
  db: GeoDb;
  /** Routed ranges loaded (AS 0 lines are not kept). */
  ranges: number;
  lines: number;
  /** Ranges that overlapped another (real files have them; the innermost range answers). */
  overlaps: number;
  /** Lines skipped in lenient mode; the first one says why. */
  skipped: number;
  firstSkipped?: string;
  ms: number;
}

/**
 * Reads range files into one GeoDb: iptoasn.com's ip2asn-combined.tsv (tab-separated) or
 * ip-location-db's asn-ipv4.csv / asn-ipv6.csv (comma-separated), each plain or gzip-compressed
 * (recognised by content, not name). Several files, or one string of comma-separated paths,
 * are merged (a v4 and a v6 file). Errors are GeoDbErrors naming the file and, for content, the line.
 */
export async function loadGeoDb(
  files: string | readonly string[],
  opts: LoadOptions = {},
): Promise<LoadedGeoDb> {
  const started = performance.now();
  const list = typeof files === 'string' ? files.split(',').filter((f) => f !== '') : files;
  const ranges: GeoRange[] = [];
  let lines = 0;
  let skipped = 0;
  let firstSkipped: string | undefined;
  for (const file of list) {
    const r = await readRanges(file, ranges, opts);
    lines += r.lines;
    skipped += r.skipped;
    firstSkipped ??= r.firstSkipped;
  }
  if (ranges.length === 0)
    throw new GeoDbError(
      'GEO_DB_EMPTY',
      `no routed ranges in ${lines} lines (is this ip2asn-combined.tsv or an ASN CSV?)`,
      {
        file: list.join(','),
      },
    );
  const db = GeoDb.build(ranges);
  const out: LoadedGeoDb = {
    db,
    ranges: db.ranges,
    lines,
    overlaps: db.overlaps,
    skipped,
    ms: performance.now() - started,
  };
  if (firstSkipped !== undefined) out.firstSkipped = firstSkipped;
  return out;
}

async function readRanges(
  file: string,
  ranges: GeoRange[],
  opts: LoadOptions,
): Promise<{ lines: number; skipped: number; firstSkipped?: string }> {
  let gzip: boolean;
  try {
    const fh = await open(file, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await fh.read(head, 0, 2, 0);
      gzip = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new GeoDbError('GEO_DB_UNREADABLE', `cannot read: ${(err as Error).message}`, { file });
  }
  const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
  const source = gzip ? raw.pipe(createGunzip()) : raw;
  // pipe() does not forward a read error to the gunzip stream: do it so iteration rejects.
  if (gzip) raw.on('error', (err) => source.destroy(err));

  let lines = 0;
  let format: 'tsv' | 'csv' | undefined;
  let skipped = 0;
  let firstSkipped: string | undefined;
  const skip = (why: string) => {
    skipped++;
    firstSkipped ??= why;
  };
  try {
    for await (const l of splitLines(source as AsyncIterable<Buffer>)) {
      lines = l.line;
      if ('tooLong' in l) {
        const err = new GeoDbError('GEO_DB_LINE_TOO_LONG', `line longer than ${MAX_LINE_BYTES} bytes`, {
          file,
          line: l.line,
        });
        if (!opts.lenient) throw err;
        skip(err.message);
        continue;
      }
      if (l.text.trim() === '') continue;
      try {
        // The first line with content tells the format: a tab means iptoasn's TSV.
        format ??= l.text.includes('\t') ? 'tsv' : 'csv';
        const r = format === 'tsv' ? parseLine(l.text, l.line, file) : parseAsnCsvLine(l.text, l.line, file);
        if (r) ranges.push(r);
      } catch (err) {
        if (!opts.lenient || !(err instanceof GeoDbError)) throw err;
        skip(err.message);
      }
    }
  } catch (err) {
    source.destroy();
    raw.destroy();
    if (err instanceof GeoDbError) throw err;
    throw new GeoDbError(
      'GEO_DB_UNREADABLE',
      `${gzip ? 'gzip stream' : 'read'} failed after line ${lines}: ${(err as Error).message}`,
      { file },
    );
  }
  return firstSkipped === undefined ? { lines, skipped } : { lines, skipped, firstSkipped };
}
