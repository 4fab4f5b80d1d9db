import type { Link } from '../transport/transport.js';

const utf8 = new TextEncoder();

/** UTF-8 bytes of a string. @internal */
export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** LEB128 encoding of a non-negative length (CPace `prepend_len`). @internal */
export function leb128(length: number): Uint8Array {
  const out: number[] = [];
  let n = length;
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Uint8Array.from(out);
}

/**
 * Prefix-free concatenation: each part preceded by its LEB128 length (CPace `prefix_free_cat`).
 *
 * @remarks
 * Every transcript that is hashed, MACed or signed in this folder is built with it, so no two
 * different lists of parts can produce the same bytes.
 * @internal
 */
export function prefixFreeCat(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  const lengths = parts.map((p) => {
    const l = leb128(p.length);
    total += l.length + p.length;
    return l;
  });
  const out = new Uint8Array(total);
  let at = 0;
  parts.forEach((p, i) => {
    const l = lengths[i] as Uint8Array;
    out.set(l, at);
    at += l.length;
    out.set(p, at);
    at += p.length;
  });
  return out;
}

/** Concatenation without length prefixes. @internal */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Keying material that identifies this very connection, or `undefined` when the link has none.
 *
 * @remarks
 * On TLS links it is RFC 5705 exported keying material (32 bytes, the given label), which differs
 * on the two halves of a relayed connection — so a proof bound to it cannot be forwarded by an
 * active relay. Links without TLS (the memory transport) return `undefined`; callers then bind to
 * fresh nonces from both sides, which stops replay but not a live relay.
 * @internal
 */
export function channelBinding(link: Link, label: string): Uint8Array | undefined {
  if (typeof link.exportKeyingMaterial !== 'function') return undefined;
  return link.exportKeyingMaterial(32, label);
}
