import {
  type AddrEntry,
  CHAINS,
  coreVersion,
  decodeAddrPacked,
  decodeMessage,
  encodeMessage,
  FrameParser,
  type Message,
} from '@bitcrawl/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import parity from '../../protocol/fixtures/core-parity.json' with { type: 'json' };
import {
  finalAnswer,
  finalPacked,
  forkState,
  type HandshakeParams,
  initialState,
  type MachineState,
  openingMessages,
  step,
} from './handshake.ts';

const params: HandshakeParams = {
  protocolVersion: 70016,
  userAgent: '/bitcrawl:test/',
  target: { network: 'ipv4', host: '1.2.3.4', port: 8333 },
  nonce: 42n,
  nowS: 1_700_000_000,
  maxAddr: 5000,
};

const theirVersion: Message = coreVersion({
  timestamp: 1_700_000_003n,
  addrRecv: { services: 0n, network: 'ipv4', host: '9.9.9.9', port: 1 },
  nonce: 7n,
  startHeight: 900_000,
});

const entries = (n: number, from = 0): AddrEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    time: 1,
    services: 9n,
    network: 'ipv4' as const,
    host: `10.0.${(from + i) >> 8}.${(from + i) & 255}`,
    port: 8333,
  }));

/** Feeds messages in order and collects what the machine sends. */
function run(msgs: Message[], state: MachineState = initialState()) {
  const sent: string[] = [];
  let done = false;
  for (const m of msgs) {
    const r = step(state, m, params);
    state = r.state;
    sent.push(...r.send.map((s) => s.command));
    done ||= r.handshakeDone === true;
  }
  return { state, sent, done };
}

describe('handshake state machine', () => {
  it('opens with version (70016, services 0, relay false, target in addr_recv) then sendaddrv2', () => {
    const [v, s] = openingMessages(params);
    expect(v).toMatchObject({
      command: 'version',
      version: 70016,
      services: 0n,
      relay: false,
      userAgent: '/bitcrawl:test/',
      addrRecv: { network: 'ipv4', host: '1.2.3.4', port: 8333 },
    });
    expect(s).toEqual({ command: 'sendaddrv2' });
  });

  it("Core 31's order: version, wtxidrelay, sendaddrv2, verack, then sendcmpct, ping, feefilter", () => {
    const r = run([
      theirVersion,
      { command: 'wtxidrelay' },
      { command: 'sendaddrv2' },
      { command: 'verack' },
      { command: 'sendcmpct', announce: false, version: 2n },
      { command: 'ping', nonce: 99n },
      { command: 'feefilter', feeRate: 1000n },
    ]);
    // verack only after their version, getaddr right behind it, pong for the ping
    expect(r.sent).toEqual(['verack', 'getaddr', 'pong']);
    expect(r.done).toBe(true);
    expect(r.state.theirAddrV2).toBe(true);
    expect(r.state.phase).toBe('awaiting_answer');
  });

  it('never sends sendaddrv2 or wtxidrelay after verack, in any arrival order', () => {
    const extras: Message[] = [
      { command: 'wtxidrelay' },
      { command: 'sendaddrv2' },
      { command: 'sendheaders' },
      { command: 'ping', nonce: 1n },
      { command: 'unknown', name: 'inv', payload: new Uint8Array(37) },
      { command: 'unknown', name: 'getheaders', payload: new Uint8Array(69) },
      { command: 'addr', addresses: entries(1), skipped: 0 },
    ];
    for (let rot = 0; rot < extras.length; rot++) {
      const order = [...extras.slice(rot), ...extras.slice(0, rot)];
      const r = run([theirVersion, ...order.slice(0, 3), { command: 'verack' }, ...order.slice(3)]);
      const afterVerack = r.sent.slice(r.sent.indexOf('verack') + 1);
      expect(afterVerack).not.toContain('sendaddrv2');
      expect(afterVerack).not.toContain('wtxidrelay');
      expect(r.sent.filter((c) => c === 'getaddr')).toHaveLength(1);
      expect(r.done).toBe(true);
    }
  });

  it('sends getaddr with the verack, as Core does, and awaits the answer only after their verack', () => {
    const first = step(initialState(), theirVersion, params);
    expect(first.send.map((m) => m.command)).toEqual(['verack', 'getaddr']);
    expect(first.handshakeDone).toBeUndefined();
    expect(first.state.phase).toBe('handshake');
    // An addr before their verack is no answer (Core's verack comes before its answer).
    const early = step(first.state, { command: 'addr', addresses: entries(50), skipped: 0 }, params);
    expect(early.state.phase).toBe('handshake');
    expect(early.state.unsolicited).toBe(1);
    const done = step(early.state, { command: 'verack' }, params);
    expect(done.send).toEqual([]);
    expect(done.handshakeDone).toBe(true);
    expect(done.state.phase).toBe('awaiting_answer');
  });

  it('does not complete without their verack, nor answer a second version', () => {
    const r = run([theirVersion, theirVersion]);
    expect(r.done).toBe(false);
    expect(r.sent).toEqual(['verack', 'getaddr']);
  });

  it('a one-entry self-announcement is not the answer; the answer follows and is merged across parts', () => {
    const ready = run([theirVersion, { command: 'verack' }]).state;
    const self: AddrEntry = { time: 1, services: 0xc09n, network: 'ipv4', host: '1.2.3.4', port: 8333 };
    const r = run(
      [
        { command: 'addr', addresses: [self], skipped: 0 },
        { command: 'addr', addresses: entries(5, 800), skipped: 0 }, // a relay: kept aside
        { command: 'addr', addresses: entries(400, 0), skipped: 0 },
        { command: 'addr', addresses: entries(400, 300), skipped: 0 }, // overlaps 100
        { command: 'addr', addresses: entries(3, 700), skipped: 0 }, // a small last part
      ],
      ready,
    );
    expect(r.state.phase).toBe('harvesting');
    expect(finalAnswer(r.state)).toHaveLength(703);
    expect(finalAnswer(r.state).some((a) => a.host === '1.2.3.4')).toBe(false);
    expect(r.state.unsolicited).toBe(1);
    expect(r.state.tentativeMessages).toBe(1);
  });

  it("Core's one-message addrv2 answer completes the harvest at once; other peers keep the idle gap", () => {
    const answerOf = (version: Message, wantsV2: boolean, command: 'addr' | 'addrv2') => {
      const pre: Message[] = wantsV2 ? [version, { command: 'sendaddrv2' }] : [version];
      let state = run([...pre, { command: 'verack' }]).state;
      const flags: string[] = [];
      for (const m of [
        { command, addresses: entries(8, 900), skipped: 0 }, // a relay first: never the end
        { command, addresses: entries(300), skipped: 0 },
      ] as Message[]) {
        const r = step(state, m, params);
        state = r.state;
        if (r.answerComplete) flags.push(`complete after ${finalAnswer(state).length}`);
      }
      return flags;
    };
    expect(answerOf(theirVersion, true, 'addrv2')).toEqual(['complete after 300']);
    expect(answerOf(theirVersion, false, 'addr')).toEqual([]); // pre-addrv2 Core: may split
    expect(answerOf(theirVersion, true, 'addr')).toEqual([]);
    const btcd = { ...theirVersion, userAgent: '/btcwire:0.5.0/btcd:0.24.2/' } as Message;
    expect(answerOf(btcd, true, 'addrv2')).toEqual([]);
  });

  it('answers are Observation entries, one per distinct endpoint', () => {
    const ready = run([theirVersion, { command: 'verack' }]).state;
    const twice = [...entries(20), ...entries(20)];
    const r = step(ready, { command: 'addrv2', addresses: twice, skipped: 0 }, params);
    expect(finalAnswer(r.state)).toHaveLength(20);
    expect(finalAnswer(r.state)[0]).toEqual({
      network: 'ipv4',
      host: '10.0.0.0',
      port: 8333,
      services: 9n,
      time: 1,
    });
    // Same host on another port, or IPv6 text on CJDNS, is another endpoint.
    const others: AddrEntry[] = [
      { ...entries(1)[0]!, port: 8334 },
      { time: 1, services: 0n, network: 'ipv6', host: 'fc00::1', port: 8333 },
      { time: 1, services: 0n, network: 'cjdns', host: 'fc00::1', port: 8333 },
    ];
    const more = step(r.state, { command: 'addrv2', addresses: [...others, ...others], skipped: 0 }, params);
    expect(finalAnswer(more.state)).toHaveLength(23);
    expect(
      finalAnswer(more.state)
        .filter((a) => a.host === 'fc00::1')
        .map((a) => a.network),
    ).toEqual(['ipv6', 'cjdns']);
  });

  it('a node that knows little: its small answer counts when nothing larger comes', () => {
    const ready = run([theirVersion, { command: 'verack' }]).state;
    for (const n of [2, 6, 10]) {
      const r = step(forkState(ready), { command: 'addrv2', addresses: entries(n), skipped: 0 }, params);
      expect(r.state.phase).toBe('awaiting_answer');
      expect(r.tentativeStarted, `${n}`).toBe(true);
      expect(r.answerProgress).toBeUndefined();
      expect(finalAnswer(r.state)).toHaveLength(n);
      // Later small messages merge but do not restart the tentative timer.
      const later = step(r.state, { command: 'addr', addresses: entries(2, 100), skipped: 0 }, params);
      expect(later.tentativeStarted).toBeUndefined();
      expect(finalAnswer(later.state)).toHaveLength(n + 2);
    }
  });

  it('a one-entry message after getaddr is an answer (5-8 known addresses), unless it is the peer itself', () => {
    const ready = run([theirVersion, { command: 'verack' }]).state;
    const one = step(forkState(ready), { command: 'addrv2', addresses: entries(1, 77), skipped: 0 }, params);
    expect(one.tentativeStarted).toBe(true);
    expect(finalAnswer(one.state).map((a) => a.host)).toEqual(['10.0.0.77']);
    const self: AddrEntry = { time: 5, services: 0xc09n, network: 'ipv4', host: '1.2.3.4', port: 8333 };
    const announced = step(forkState(ready), { command: 'addrv2', addresses: [self], skipped: 0 }, params);
    expect(announced.tentativeStarted).toBeUndefined();
    expect(finalAnswer(announced.state)).toHaveLength(0);
    expect(announced.state.unsolicited).toBe(1);
    // Before getaddr, even a one-entry message of another address is not the answer.
    const early = run([theirVersion, { command: 'addr', addresses: entries(1, 5), skipped: 0 }]);
    expect(finalAnswer(early.state)).toHaveLength(0);
  });

  it('reaching maxAddr ends the harvest; nothing is kept or copied after that', () => {
    const ready = run([theirVersion, { command: 'verack' }]).state;
    const small = { ...params, maxAddr: 50 };
    const a = step(ready, { command: 'addr', addresses: entries(30), skipped: 0 }, small);
    expect(a.answerFull).toBeUndefined();
    const b = step(a.state, { command: 'addr', addresses: entries(30, 30), skipped: 0 }, small);
    expect(b.answerFull).toBe(true);
    expect(b.state.truncated).toBe(true);
    expect(finalAnswer(b.state)).toHaveLength(50);
    const c = step(b.state, { command: 'addr', addresses: entries(30, 60), skipped: 0 }, small);
    expect(c.answerProgress).toBeUndefined();
    expect(finalAnswer(c.state)).toHaveLength(50);
    // Exactly full also ends it, though nothing was dropped.
    const exact = step(
      run([theirVersion, { command: 'verack' }]).state,
      { command: 'addr', addresses: entries(50), skipped: 0 },
      small,
    );
    expect(exact.answerFull).toBe(true);
    expect(exact.state.truncated).toBe(false);
  });

  it('addresses before the handshake completes are not the answer; the answer is bounded', () => {
    const early = run([theirVersion, { command: 'addr', addresses: entries(50), skipped: 0 }]);
    expect(finalAnswer(early.state)).toHaveLength(0);
    const ready = run([{ command: 'verack' }], early.state).state;
    const big = step(
      ready,
      { command: 'addr', addresses: entries(1000), skipped: 0 },
      { ...params, maxAddr: 600 },
    );
    expect(finalAnswer(big.state)).toHaveLength(600);
    expect(big.state.truncated).toBe(true);
  });

  it('a dual-stack node announcing its other address is not gossip; its small answer still is', () => {
    // Seen from Core 31 over IPv6: one addrv2 entry, its own IPv4 address, then a 4-entry answer.
    const v6 = { ...params, target: { network: 'ipv6' as const, host: '2001:db8::5', port: 8333 } };
    let state = initialState();
    for (const m of [theirVersion, { command: 'verack' }] as Message[]) state = step(state, m, v6).state;
    const own: AddrEntry = {
      time: 1_700_000_004,
      services: 0xc09n,
      network: 'ipv4',
      host: '198.51.100.7',
      port: 8333,
    };
    const announced = step(state, { command: 'addrv2', addresses: [own], skipped: 0 }, v6);
    expect(announced.tentativeStarted).toBeUndefined();
    expect(announced.state.unsolicited).toBe(1);
    const answer = step(announced.state, { command: 'addrv2', addresses: entries(4), skipped: 0 }, v6);
    expect(answer.tentativeStarted).toBe(true);
    expect(finalAnswer(answer.state).map((a) => a.host)).toEqual(entries(4).map((e) => e.host));
    // A one-entry message that is not the peer's (another port, other services, or an old time) is gossip.
    for (const other of [
      { ...own, port: 8334 },
      { ...own, services: 0x409n },
      { ...own, time: 1_700_000_003 - 601 },
    ]) {
      const r = step(forkState(state), { command: 'addrv2', addresses: [other], skipped: 0 }, v6);
      expect(
        r.tentativeStarted,
        JSON.stringify(other, (_, x) => (typeof x === 'bigint' ? `${x}` : x)),
      ).toBe(true);
    }
  });
});

describe('packed addr messages (the crawl session path)', () => {
  // Few endpoints, so repeats are common; the target's host on other ports, and entries that
  // look like the peer's own announcement (its services, its clock, our target's port).
  const entryArb: fc.Arbitrary<AddrEntry> = fc
    .record({
      host: fc.constantFrom('1.2.3.4', '10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::1', 'fc00::1'),
      port: fc.constantFrom(8333, 8334),
      services: fc.constantFrom(0xc09n, 9n, 2n ** 40n),
      time: fc.constantFrom(1, 1_700_000_003, 1_700_000_003 + 601),
      cjdns: fc.boolean(),
    })
    .map(({ host, cjdns, ...e }) => ({
      ...e,
      host,
      network: host.includes('.')
        ? ('ipv4' as const)
        : cjdns && host.startsWith('fc')
          ? ('cjdns' as const)
          : ('ipv6' as const),
    }));
  const messageArb = fc.record({
    command: fc.constantFrom<'addr' | 'addrv2'>('addr', 'addrv2'),
    addresses: fc.oneof(
      fc.array(entryArb, { maxLength: 3 }),
      fc.array(entryArb, { minLength: 11, maxLength: 30 }),
    ),
  });

  it('drive the machine exactly as the same messages decoded do, step by step', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (msgs, maxAddr, early) => {
          const p = { ...params, maxAddr };
          const opening: Message[] = early ? [theirVersion] : [theirVersion, { command: 'verack' }];
          let decoded = run(opening).state;
          let packed = run(opening).state;
          for (const m of msgs) {
            // Through the wire, as the session sees it: a v1 addr cannot carry CJDNS.
            const payload = encodeMessage({ ...m, skipped: 0 }).payload;
            const a = step(decoded, decodeMessage({ command: m.command, payload }), p);
            const b = step(packed, decodeAddrPacked(m.command, payload), p);
            const { state: sa, ...fa } = a;
            const { state: sb, ...fb } = b;
            expect(fb).toEqual(fa);
            expect({ ...sb, answer: sb.answer.size, tentative: sb.tentative.size }).toEqual({
              ...sa,
              answer: sa.answer.size,
              tentative: sa.tentative.size,
            });
            decoded = sa;
            packed = sb;
          }
          expect(finalAnswer(packed)).toEqual(finalAnswer(decoded));
          expect(finalPacked(packed)).toEqual(finalPacked(decoded));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("Core's strictness (fixtures/core-parity.json handshake cases)", () => {
  const magic = CHAINS.mainnet.magic;
  it.each(parity.handshake)('$why: $code', (c) => {
    const parser = new FrameParser(magic);
    let state = initialState();
    let fault: { code: string; offset: number; reason: string } | undefined;
    let done = false;
    for (const h of c.frames) {
      for (const frame of parser.push(Uint8Array.from(Buffer.from(h, 'hex')))) {
        if (fault) break;
        const r = step(state, decodeMessage(frame), params);
        state = r.state;
        done ||= r.handshakeDone === true;
        if (r.fail) fault = { ...r.fail, offset: frame.offset };
      }
    }
    if (c.code === null) {
      expect(fault).toBeUndefined();
      expect(done).toBe(true);
    } else {
      expect(fault?.code).toBe(c.code);
      expect(fault?.offset).toBe(c.offset);
      expect(fault?.reason.length).toBeGreaterThan(0);
      expect(done).toBe(false);
    }
  });

  it('an obsolete version is kept in the state (the Observation shows it) and is not answered', () => {
    const old = { ...theirVersion, version: 31799 } as Message;
    const r = step(initialState(), old, params);
    expect(r.fail?.code).toBe('OBSOLETE_VERSION');
    expect(r.send).toEqual([]);
    expect(r.state.theirVersion?.version).toBe(31799);
  });
});
