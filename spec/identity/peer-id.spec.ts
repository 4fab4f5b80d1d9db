import { describe, expect, it } from 'vitest';
import { ErrorCode, asPeerId, isPeerId } from '../../lib/index.js';

const valid = '0123456789abcdef'.repeat(4);

describe('isPeerId', () => {
  it('takes exactly 64 lowercase hex digits', () => {
    expect(isPeerId(valid)).toBe(true);
    expect(isPeerId('f'.repeat(64))).toBe(true);
    expect(isPeerId(valid.slice(1))).toBe(false);
    expect(isPeerId(`${valid}0`)).toBe(false);
    expect(isPeerId('')).toBe(false);
  });

  it('refuses every character just outside the digit and a–f ranges, and uppercase', () => {
    // '/' and ':' border '0'–'9'; '`' and 'g' border 'a'–'f'; 'A'–'F' are hex but not lowercase.
    for (const c of ['/', ':', '`', 'g', 'A', 'F', ' ', '\u0660']) {
      expect(isPeerId(valid.slice(0, 63) + c), `last char ${c}`).toBe(false);
      expect(isPeerId(c + valid.slice(1)), `first char ${c}`).toBe(false);
    }
  });

  it('refuses what is not a string', () => {
    for (const v of [undefined, null, 64, Buffer.from(valid), [valid], { toString: () => valid }]) expect(isPeerId(v)).toBe(false);
  });

  it('asPeerId throws PC_ERR_INVALID_ARGUMENT for a non-id', () => {
    expect(asPeerId(valid)).toBe(valid);
    expect(() => asPeerId('bob')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });
});
