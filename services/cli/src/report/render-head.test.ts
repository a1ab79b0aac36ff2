import { describe, expect, it } from 'vitest';
import { renderReport } from './report.ts';

// Issue 17, finding 4: a report says which rounds it covers before anything else.
describe('renderReport names the rounds it covers', () => {
  const section = { key: 'reachable', title: 'Reachable', rows: [{ network: 'ipv4', nodes: 3 }] };
  it('one round, or the range and the round of the per-round sections', () => {
    expect(renderReport({ rounds: ['r20261125T090000Z'], sections: [section] } as never, 'table')).toMatch(
      /^Report of round r20261125T090000Z\n\n== Reachable\n/,
    );
    const two = { rounds: ['r20261124T160442Z', 'r20261125T090000Z'], sections: [section] } as never;
    expect(renderReport(two, 'table')).toMatch(
      /^Report of 2 rounds, r20261124T160442Z to r20261125T090000Z \(the sections of one round: r20261125T090000Z\)\n/,
    );
    expect(renderReport(two, 'csv')).toMatch(/^# rounds: 2 rounds, r20261124T160442Z to r20261125T090000Z/);
    expect(JSON.parse(renderReport(two, 'json')).rounds).toEqual(['r20261124T160442Z', 'r20261125T090000Z']);
  });
});
