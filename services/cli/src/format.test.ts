import { describe, expect, it } from 'vitest';
import { formatRows, printable } from './format.ts';

describe('formatRows', () => {
  it('prints a peer-chosen newline or escape sequence as visible escapes, never as raw bytes', () => {
    const rows = [
      { user_agent: '/x/\n/Satoshi:99.9.9/     9999', nodes: 1 },
      { user_agent: '/y/\r\u001b[2J\u202e', nodes: 2 },
    ];
    const table = formatRows(rows, 'table');
    // Header, rule, two rows and the count: a fake row cannot appear.
    expect(table.split('\n').filter(Boolean)).toHaveLength(5);
    expect(table).toContain('/x/\\n/Satoshi:99.9.9/     9999');
    expect(table).toContain('/y/\\r\\u001b[2J\\u202e');
    expect(table).not.toMatch(/[\r\u001b\u202e]/);
  });

  it('quotes CR as well as LF, quote and comma in CSV, and keeps the value as it is', () => {
    const csv = formatRows([{ a: 'x\ry', b: 'p"q', c: 'plain' }], 'csv');
    expect(csv).toBe('a,b,c\n"x\ry","p""q",plain\n');
  });

  it('leaves ordinary text, including non-ASCII, alone', () => {
    expect(printable('/Satoshi:31.0.0(ünïcødé €)/')).toBe('/Satoshi:31.0.0(ünïcødé €)/');
    expect(printable('a\tb\u0000c\u007f\u0085')).toBe('a\\tb\\u0000c\\u007f\\u0085');
  });

  it('never cuts a value: a 62-character onion host is printed whole (issue 17, finding 7)', () => {
    const host = `${'a'.repeat(56)}.onion`;
    const ua = `/Satoshi:27.0.0/${'x'.repeat(80)}/`;
    const table = formatRows([{ host, user_agent: ua, n: 1 }], 'table');
    expect(table).toContain(host);
    expect(table).toContain(ua);
    expect(table).not.toContain('…');
  });

  it('aligns numbers right and text left', () => {
    expect(
      formatRows(
        [
          { name: 'ab', n: 5 },
          { name: 'c', n: 10 },
        ],
        'table',
      ),
    ).toBe('name   n\n----  --\nab     5\nc     10\n(2 rows)\n');
  });
});
