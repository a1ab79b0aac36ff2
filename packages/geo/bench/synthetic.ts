import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import { formatIPv4 } from '../src/ip.ts';

/**
 * Writes `n` synthetic ip2asn lines (60% IPv4, 40% IPv6, adjacent non-overlapping ranges with
 * documentation-range AS numbers and made-up names), gzip-compressed, the size of the real
 * file. Returns sample addresses inside ranges with the AS number each must resolve to.
 */
export async function writeSynthetic(
  file: string,
  n: number,
): Promise<{ inside: [string, string, number][] }> {
  const gz = createGzip({ level: 1 });
  const out = createWriteStream(file);
  gz.pipe(out);
  const inside: [string, string, number][] = [];
  const v4 = Math.floor(n * 0.6);
  const step4 = Math.floor(0xffff_ffff / v4);
  let buf = '';
  const flush = async (force = false) => {
    if (buf.length < 1 << 20 && !force) return;
    if (!gz.write(buf)) await once(gz, 'drain');
    buf = '';
  };
  for (let i = 0; i < v4; i++) {
    const start = i * step4;
    const end = start + step4 - 2; // a one-address gap between ranges
    const asn = 64496 + (i % 16);
    buf += `${formatIPv4(start)}\t${formatIPv4(end)}\t${asn}\tX${String.fromCharCode(65 + (i % 26))}\tSYNTH-${i % 5000}\n`;
    if (i % 997 === 0) inside.push(['ipv4', formatIPv4(start + (i % (step4 - 1))), asn]);
    await flush();
  }
  for (let i = 0; i < n - v4; i++) {
    const hi = (0x2000_0000_0000n + BigInt(i)).toString(16); // /48s: 2000:0000:xxxx::/48
    const g = hi.padStart(12, '0').match(/.{4}/g) as string[];
    const asn = 64496 + (i % 16);
    buf += `${g.join(':')}::\t${g.join(':')}:ffff:ffff:ffff:ffff:ffff\t${asn}\tXZ\tSYNTH6-${i % 3000}\n`;
    if (i % 991 === 0) inside.push(['ipv6', `${g.join(':')}::${(i % 65535).toString(16)}`, asn]);
    await flush();
  }
  await flush(true);
  gz.end();
  await once(out, 'close');
  return { inside };
}
