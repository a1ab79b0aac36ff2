import { secp256k1 } from '@noble/curves/secp256k1.js';
import { makeFieldPow } from './field-pow.ts';
import { isSquareModP } from './jacobi.ts';
import { fillRandom } from './random.ts';

/**
 * BIP324's ElligatorSwift in bigint on @noble/curves' Fp: 64-byte encodings of secp256k1 x
 * coordinates that look like random bytes. Sessions use libsecp256k1's own module
 * (ellswift-wasm.ts); this is the fallback when WebAssembly cannot load, and the reference the
 * official vectors and tests check both against (ellswift-key.ts joins them). Nothing here is
 * constant time: it handles public data (encodings, and the random u and case that pick one of
 * many encodings of our public key).
 */

const Fp = secp256k1.Point.Fp;
const P = Fp.ORDER;
/** sqrt(-3) mod p, the square one of the two (BIP324's constant c). */
const C = 0xa2d2ba93507f1df233770c2a797962cc61f6d15da14ecd47d8d27ae1cd5f852n;
const HALF = Fp.inv(2n);
const C1 = Fp.mul(Fp.sub(1n, C), HALF); // (1 - c) / 2
const C2 = Fp.mul(Fp.add(1n, C), HALF); // (1 + c) / 2

function sqrN(a: bigint, n: number): bigint {
  let r = a;
  for (let i = 0; i < n; i++) r = (r * r) % P;
  return r;
}

/**
 * a^((p-3)/4) by libsecp256k1's addition chain for the square root (253 squarings and 13
 * multiplications, not ~500 for a plain square-and-multiply: the blocks of ones of (p+1)/4
 * are 2, 22 and 223 long), ending in 0b1011 instead of (p+1)/4's 0b1100. For a square a != 0
 * it gives both a's square root (a times it) and a's inverse (its square): one chain, no
 * separate inversion.
 */
export function powP34Chain(a: bigint): bigint {
  const x2 = (sqrN(a, 1) * a) % P;
  const x3 = (sqrN(x2, 1) * a) % P;
  const x6 = (sqrN(x3, 3) * x3) % P;
  const x9 = (sqrN(x6, 3) * x3) % P;
  const x11 = (sqrN(x9, 2) * x2) % P;
  const x22 = (sqrN(x11, 11) * x11) % P;
  const x44 = (sqrN(x22, 22) * x22) % P;
  const x88 = (sqrN(x44, 44) * x44) % P;
  const x176 = (sqrN(x88, 88) * x88) % P;
  const x220 = (sqrN(x176, 44) * x44) % P;
  const x223 = (sqrN(x220, 3) * x3) % P;
  let r = (sqrN(x223, 23) * x22) % P;
  r = (sqrN(r, 5) * a) % P;
  return (sqrN(r, 3) * x2) % P;
}

/** a^((p-3)/4): in OpenSSL when it loads (field-pow.ts), else by the chain above. */
export const fieldPow = makeFieldPow(powP34Chain);
const powP34 = fieldPow.pow;

/** The square root of `a` mod p that is itself a square (a^((p+1)/4)), or undefined when `a` is not a square. */
export function sqrtMod(a0: bigint): bigint | undefined {
  const a = Fp.create(a0);
  const r = (a * powP34(a)) % P;
  return (r * r) % P === a ? r : undefined;
}

/** Whether `a` is a square mod p (0 included): the Jacobi symbol, in jacobi.ts. */
export function isSquare(a0: bigint): boolean {
  return isSquareModP(Fp.create(a0));
}

/**
 * 1/a mod p (a != 0) by the extended Euclidean algorithm, keeping only the coefficient of a and
 * taking each remainder from its quotient (one bigint division a step, where noble's Fp.inv
 * makes two and keeps both coefficients): about a third faster.
 */
export function invMod(a0: bigint): bigint {
  let a = Fp.create(a0);
  let b = P;
  let x0 = 0n;
  let x1 = 1n;
  while (a !== 0n) {
    const q = b / a;
    const r = b - q * a;
    b = a;
    a = r;
    const t = x0 - q * x1;
    x0 = x1;
    x1 = t;
  }
  if (b !== 1n) throw new RangeError('invMod: 0 has no inverse');
  return x0 < 0n ? x0 + P : x0;
}

/** g(x) = x^3 + 7: x is a curve x coordinate when g(x) is a square (lift_x succeeds). */
function curveY2(x: bigint): bigint {
  return Fp.add(Fp.mul(Fp.sqr(x), x), 7n);
}
function isCurveX(x: bigint): boolean {
  return isSquare(curveY2(x));
}

/** XSwiftEC's three candidates for (u, t), in BIP324's order; the first on the curve is the x. */
export function xswiftecCandidates(u0: bigint, t0: bigint): [bigint, bigint, bigint] {
  const u = Fp.create(u0) === 0n ? 1n : Fp.create(u0);
  let t = Fp.create(t0) === 0n ? 1n : Fp.create(t0);
  const u3plus7 = curveY2(u);
  if (Fp.add(u3plus7, Fp.sqr(t)) === 0n) t = Fp.add(t, t);
  // BIP324's X = N/(2t), Y = (X + t)/(cu) with N = u^3 + 7 - t^2 and M = u^3 + 7 + t^2 give
  // 4Y^2 = -M^2/(3t^2u^2) (c^2 = -3) and X/Y = Ncu/M: one inversion (of D = 3t^2u^2 M), not three.
  const t2 = Fp.sqr(t);
  const N = Fp.sub(u3plus7, t2);
  const M = Fp.add(u3plus7, t2);
  const t2u2x3 = Fp.mul(3n, Fp.mul(t2, Fp.sqr(u)));
  const invD = invMod(Fp.mul(t2u2x3, M));
  const XdivY = Fp.mul(Fp.mul(Fp.mul(N, C), u), Fp.mul(t2u2x3, invD));
  return [
    Fp.sub(u, Fp.mul(Fp.mul(Fp.sqr(M), M), invD)),
    Fp.mul(Fp.sub(Fp.neg(XdivY), u), HALF),
    Fp.mul(Fp.sub(XdivY, u), HALF),
  ];
}

export function xswiftec(u: bigint, t: bigint): bigint {
  const [x1, x2, x3] = xswiftecCandidates(u, t);
  if (isCurveX(x1)) return x1;
  if (isCurveX(x2)) return x2;
  return x3; // BIP324: at least one of the three is on the curve
}

/**
 * XSwiftECInv(x, u, case): the t with XSwiftEC(u, t) = x for this case, or undefined. About
 * three in four tries fail, so the cheap Jacobi tests come first and the square roots and
 * inversions only on the way to an answer: s's squareness is tested before r's root (case & 2)
 * and, as -g(u)·D (the same character as s = -g(u)/D), before D's inversion (the others).
 */
export function xswiftecInv(x: bigint, u: bigint, c: number): bigint | undefined {
  if ((c & 2) === 0) {
    const u3plus7 = curveY2(u);
    if (isCurveX(Fp.sub(Fp.neg(x), u))) return undefined;
    const d = Fp.add(Fp.add(Fp.sqr(u), Fp.mul(u, x)), Fp.sqr(x));
    if (!isSquare(Fp.neg(Fp.mul(u3plus7, d)))) return undefined;
    // w = sqrt(-g(u)/d), the root that is a square, and 1/d from one exponentiation (not a
    // root and an inversion): q = -g(u)·d^3 is a square (d^3 has d's character), e =
    // q^((p-3)/4) gives sqrt(q) = q·e (a square) and 1/q = e^2, so 1/d = -g(u)·e^2·d^2 and
    // w = sqrt(q)/d^2 (a square over a square; w^2 = q/d^4 = -g(u)/d).
    const q = Fp.neg(Fp.mul(u3plus7, Fp.mul(Fp.sqr(d), d)));
    if (q === 0n) return finish(c, u, x, sqrtMod(Fp.neg(Fp.mul(u3plus7, invMod(d)))) as bigint);
    const e = powP34(q);
    const invD = Fp.mul(Fp.neg(u3plus7), Fp.mul(Fp.sqr(e), Fp.sqr(d)));
    return finish(c, u, x, Fp.mul(Fp.mul(q, e), Fp.sqr(invD)));
  }
  const s = Fp.sub(x, u);
  if (s === 0n || !isSquare(s)) return undefined;
  return invSquare(u, c, s, undefined);
}

/**
 * XSwiftECInv's cases 2, 3, 6, 7 once s = x - u is known to be a nonzero square, with its
 * square root w that is a square when the caller knows it.
 */
function invSquare(u: bigint, c: number, s: bigint, knownW: bigint | undefined): bigint | undefined {
  const rr = Fp.neg(Fp.mul(s, Fp.add(Fp.mul(4n, curveY2(u)), Fp.mul(Fp.mul(3n, Fp.sqr(u)), s))));
  if (!isSquare(rr)) return undefined;
  let r: bigint;
  let w: bigint;
  let invS: bigint;
  if (knownW !== undefined && rr !== 0n) {
    // r = sqrt(rr) (the root that is a square) and 1/s from one exponentiation: q = rr·s^2
    // is a nonzero square, e = q^((p-3)/4) gives sqrt(q) = q·e = r·s and 1/q = e^2, so
    // 1/s = e^2·rr·s and r = q·e/s.
    w = knownW;
    const q = Fp.mul(rr, Fp.sqr(s));
    const e = powP34(q);
    invS = Fp.mul(Fp.mul(Fp.sqr(e), rr), s);
    r = Fp.mul(Fp.mul(q, e), invS);
  } else {
    r = sqrtMod(rr) as bigint;
    if ((c & 1) === 1 && r === 0n) return undefined;
    if (knownW === undefined) {
      const e = powP34(s); // s is a square: 1/s = e^2, sqrt(s) = s·e
      w = Fp.mul(s, e);
      invS = Fp.sqr(e);
    } else {
      w = knownW;
      invS = Fp.sqr(invMod(w));
    }
  }
  return finish(c, u, Fp.mul(Fp.sub(Fp.mul(r, invS), u), HALF), w);
}

function finish(c: number, u: bigint, v: bigint, w: bigint): bigint {
  switch (c & 5) {
    case 0:
      return Fp.neg(Fp.mul(w, Fp.add(Fp.mul(u, C1), v)));
    case 1:
      return Fp.mul(w, Fp.add(Fp.mul(u, C2), v));
    case 4:
      return Fp.mul(w, Fp.add(Fp.mul(u, C1), v));
    default:
      return Fp.neg(Fp.mul(w, Fp.add(Fp.mul(u, C2), v)));
  }
}

export function bytesToBig(b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`);
}
export function bigToBytes(n: bigint, out: Uint8Array = new Uint8Array(32), at = 0): Uint8Array {
  out.set(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'), at);
  return out;
}

/** The x coordinate a 64-byte encoding stands for (BIP324 ellswift_decode). */
export function ellswiftDecode(ellswift: Uint8Array): bigint {
  return xswiftec(bytesToBig(ellswift.subarray(0, 32)), bytesToBig(ellswift.subarray(32, 64)));
}

/**
 * A uniformly random encoding of x (XElligatorSwift): random nonzero u and case until
 * XSwiftECInv answers, each accepted (u, case) as likely as any other. Cases 2, 3, 6 and 7 need
 * s = x - u to be a nonzero square, as it is for half of all u: there a coin (bit 3 of the
 * case byte) stands for that test, and a u that passes is drawn directly as u = x - y^4 (y^4
 * is uniform over the nonzero squares, and y^2 is its square root that is a square). The
 * accepted pairs keep their probabilities (to within 2^-255), and those cases skip a Jacobi
 * symbol and a square root: this is a third cheaper than drawing u and testing s.
 */
export function ellswiftEncode(x: bigint, random: (out: Uint8Array) => void = fillRandom): Uint8Array {
  const out = new Uint8Array(64);
  const r = new Uint8Array(33);
  for (;;) {
    random(r);
    const bits = r[32] as number;
    const c = bits & 7;
    const v = Fp.create(bytesToBig(r.subarray(0, 32)));
    if (v === 0n) continue;
    let u = v;
    let t: bigint | undefined;
    if ((c & 2) === 0) t = xswiftecInv(x, u, c);
    else {
      if ((bits & 8) === 0) continue; // the coin: s is not a square
      const w = Fp.sqr(v);
      const s = Fp.sqr(w);
      u = Fp.sub(x, s);
      if (u === 0n) continue;
      t = invSquare(u, c, s, w);
    }
    if (t === undefined) continue;
    bigToBytes(u, out, 0);
    bigToBytes(t, out, 32);
    return out;
  }
}
