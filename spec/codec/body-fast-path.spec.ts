import { describe, expect, it } from 'vitest';
import { type CallBody, type MessageBody, decodeBody, decodeBodyInFull, encodeBody } from '../../lib/codec/index.js';
import { PeerChannelError } from '../../lib/errors/index.js';
import type { PeerId } from '../../lib/identity/peer-id.js';
import { mulberry32 } from '../../lib/transport/memory/memory-network.js';

type Outcome = { ok: true; body: MessageBody } | { ok: false; code: string };

function outcome(decode: () => MessageBody): Outcome {
  try {
    return { ok: true, body: decode() };
  } catch (error) {
    expect(error).toBeInstanceOf(PeerChannelError);
    return { ok: false, code: (error as PeerChannelError).code };
  }
}

/** What a decoded body says, as plain data (views and copies of the same bytes compare equal). */
function plain(o: Outcome): unknown {
  return JSON.parse(JSON.stringify(o, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : typeof v === 'bigint' ? `${v}n` : v === undefined ? '(undefined)' : v)));
}

describe('the call-body fast path decodes exactly what the full decode does', () => {
  const rand = mulberry32(16);
  const hex = () => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('') as PeerId;
  const origins = [hex(), hex(), hex()];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const arg = (d: number): unknown => {
    const r = rand();
    if (d > 2 || r < 0.5) return pick([null, 0, -7, 70_000, 1.25, 'text', 'é', true, false, new Uint8Array(100).fill(7), new Uint8Array(0), 2n ** 70n, new Date(5), undefined]);
    if (r < 0.8) return Array.from({ length: Math.floor(rand() * 4) }, () => arg(d + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, (_, i) => [`k${i}`, arg(d + 1)]));
  };
  const body = (): MessageBody => {
    if (rand() < 0.1) return { type: 'reply', id: crypto.getRandomValues(new Uint8Array(16)), origin: pick(origins), target: pick(origins), inReplyTo: crypto.getRandomValues(new Uint8Array(16)), ok: rand() < 0.5, value: arg(0) };
    const call: CallBody = {
      type: 'call', id: crypto.getRandomValues(new Uint8Array(16)), origin: pick(origins), target: rand() < 0.3 ? pick(origins) : null,
      contract: pick(['chat', 'load', 'a'.repeat(31), 'b'.repeat(40), 'contrat-é', 'x\ty']), operation: pick(['say', 'post', 'o']),
      args: Array.from({ length: Math.floor(rand() * 4) }, () => arg(0)), wantsReply: rand() < 0.5,
    };
    return rand() < 0.2 ? { ...call, trace: true } : call;
  };

  it('on 5,000 encoded bodies, and on 30,000 copies of them with bytes changed, cut or added', () => {
    let accepted = 0;
    for (let i = 0; i < 5_000; i++) {
      const bytes = new Uint8Array(encodeBody(body()));
      const full = outcome(() => decodeBodyInFull(bytes));
      expect(full.ok).toBe(true);
      expect(plain(outcome(() => decodeBody(bytes)))).toEqual(plain(full));
      for (let m = 0; m < 6; m++) {
        let copy = bytes.slice();
        const r = rand();
        if (r < 0.6) {
          for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
        } else if (r < 0.8) {
          copy = copy.subarray(0, Math.floor(rand() * copy.length));
        } else {
          const longer = new Uint8Array(copy.length + 1 + Math.floor(rand() * 3));
          longer.set(copy);
          for (let k = copy.length; k < longer.length; k++) longer[k] = pick([0xc2, 0xc3, 0x01, 0xc0, Math.floor(rand() * 256)]);
          copy = longer;
        }
        const reference = outcome(() => decodeBodyInFull(copy));
        if (reference.ok) accepted += 1;
        expect(plain(outcome(() => decodeBody(copy)))).toEqual(plain(reference));
      }
    }
    expect(accepted).toBeGreaterThan(1_000);
  });

  it('the bytes of the last field decide the flag and the trace mark, and a crafted tail cannot shift the arguments', () => {
    const origin = origins[0] as PeerId;
    const base: CallBody = { type: 'call', id: new Uint8Array(16).fill(1), origin, target: null, contract: 'c', operation: 'o', args: ['\u00c3'], wantsReply: true };
    for (const b of [base, { ...base, wantsReply: false }, { ...base, trace: true }, { ...base, args: [] }, { ...base, args: [new Uint8Array([0xc3])] }]) {
      const bytes = encodeBody(b);
      expect(plain(outcome(() => decodeBody(bytes)))).toEqual(plain(outcome(() => decodeBodyInFull(bytes))));
      expect(decodeBody(bytes)).toMatchObject({ wantsReply: b.wantsReply, trace: b.trace === true, args: b.args.map((a) => (a instanceof Uint8Array ? expect.any(Uint8Array) : a)) });
    }
    // An eight-field body whose last field is a string ending in 0xc3: not a flag.
    const bytes = encodeBody(base);
    const crafted = new Uint8Array(bytes.length + 1);
    crafted.set(bytes.subarray(0, bytes.length - 1));
    crafted.set([0xa1, 0xc3], bytes.length - 1);
    expect(plain(outcome(() => decodeBody(crafted)))).toEqual(plain(outcome(() => decodeBodyInFull(crafted))));
    expect(outcome(() => decodeBody(crafted))).toMatchObject({ ok: false });
  });
});
