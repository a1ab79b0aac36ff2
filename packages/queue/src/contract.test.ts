import { describe, expect, it } from 'vitest';
import { crawlJobSchema, jobIdFor, VISIT_BATCH, visitJobs } from './contract.ts';

const v4 = (i: number) => ({ network: 'ipv4' as const, host: `10.0.${i >> 8}.${i & 255}`, port: 8333 });

describe('visit jobs', () => {
  it('slice the addresses into jobs of VISIT_BATCH, each named by its first address', () => {
    const addrs = Array.from({ length: 2 * VISIT_BATCH + 3 }, (_, i) => v4(i));
    const jobs = visitJobs('r1', '10.9.9.9:8333', addrs);
    expect(jobs.map((j) => j.data.targets.length)).toEqual([VISIT_BATCH, VISIT_BATCH, 3]);
    expect(jobs.map((j) => j.opts.jobId)).toEqual(
      [0, VISIT_BATCH, 2 * VISIT_BATCH].map((i) => jobIdFor('r1', v4(i))),
    );
    expect(jobs.flatMap((j) => j.data.targets)).toEqual(addrs);
    for (const j of jobs) expect(crawlJobSchema.parse(j.data)).toEqual(j.data);
    expect(visitJobs('r1', 'requeue', addrs.slice(0, 3), 1).map((j) => j.data.targets.length)).toEqual([
      1, 1, 1,
    ]);
    expect(visitJobs('r1', 'seed', [])).toEqual([]);
  });

  it('carry advertised services as decimal text, and leave them out when unknown', () => {
    const [job] = visitJobs('r1', undefined, [{ ...v4(1), services: 0xc09n }, v4(2)]);
    expect(job?.data).toEqual({
      crawlId: 'r1',
      targets: [{ ...v4(1), services: '3081' }, { ...v4(2) }],
    });
  });

  it('a job of the shape before batching (one endpoint at the top level) still parses', () => {
    expect(crawlJobSchema.parse({ crawlId: 'r1', ...v4(5), source: 'seed', services: '9' })).toEqual({
      crawlId: 'r1',
      source: 'seed',
      targets: [{ ...v4(5), services: '9' }],
    });
  });

  it('refuses jobs of no address, too many, or a bad one', () => {
    const many = Array.from({ length: VISIT_BATCH + 1 }, (_, i) => v4(i));
    for (const targets of [[], many, [{ ...v4(1), port: 70_000 }]])
      expect(crawlJobSchema.safeParse({ crawlId: 'r1', targets }).success).toBe(false);
  });
});
