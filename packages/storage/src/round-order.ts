/**
 * Rows in the order `ids` names their rounds (the caller's, oldest first), then by `then` within
 * a round. Sorts `rows` in place and returns it.
 */
export function inRoundOrder<T>(
  ids: readonly string[],
  rows: T[],
  roundOf: (r: T) => string,
  then: (a: T, b: T) => number = () => 0,
): T[] {
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows.sort((a, b) => (order.get(roundOf(a)) ?? 0) - (order.get(roundOf(b)) ?? 0) || then(a, b));
}

/** `then` for rows of one round per network: by network name. */
export const byNetwork = (a: { network: string }, b: { network: string }) =>
  a.network.localeCompare(b.network);
