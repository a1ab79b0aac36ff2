import { describe, expect, it } from 'vitest';
import { renderReport } from './report.ts';

// Issue 17, finding 4: a report says which rounds it covers before anything else.
describe('renderReport names the rounds it covers', () => {
  const section = { key: 'reachable', title: 'Reachable', rows: [{ network: 'ipv4', nodes: 3 }] };
  it('one round, or the range and the round of the per-round sections', () => {
    const only = { rounds: ['r20261125T090000Z'], inStore: { rounds: 1 }, sections: [section] } as never;
    expect(renderReport(only, 'table')).toMatch(
      /^Report of round r20261125T090000Z, the only round in the store\n\n== Reachable\n/,
    );
    const newest = {
      rounds: ['r20261125T090000Z'],
      inStore: { rounds: 3, newest: 'r20261125T090000Z' },
      sections: [section],
    } as never;
    expect(renderReport(newest, 'table')).toMatch(
      /^Report of round r20261125T090000Z, of 3 rounds in the store \(newest r20261125T090000Z; --round ID, --rounds N, --all-rounds\)\n/,
    );
    const two = {
      rounds: ['r20261124T160442Z', 'r20261125T090000Z'],
      inStore: { rounds: 2, newest: 'r20261125T090000Z' },
      sections: [section],
    } as never;
    expect(renderReport(two, 'table')).toMatch(
      /^Report of 2 rounds, r20261124T160442Z to r20261125T090000Z \(the sections of one round: r20261125T090000Z\), every round in the store\n/,
    );
    expect(renderReport(two, 'csv')).toMatch(/^# rounds: 2 rounds, r20261124T160442Z to r20261125T090000Z/);
    expect(JSON.parse(renderReport(two, 'json')).rounds).toEqual(['r20261124T160442Z', 'r20261125T090000Z']);
  });
});
