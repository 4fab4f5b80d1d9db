import { describe, expect, it } from 'vitest';
import { type ConflictFields, compareVersions } from '../../lib/records/conflict-rule.js';

const base: ConflictFields = { version: 2, created: 1_000, modified: 2_000, lastModifier: 'aa'.repeat(32), signature: Uint8Array.of(5, 5, 5) };
const v = (patch: Partial<ConflictFields>): ConflictFields => ({ ...base, ...patch });

/** Both orders must agree: a wins one way, loses the other. */
function expectWins(winner: ConflictFields, loser: ConflictFields): void {
  expect(compareVersions(winner, loser)).toBeGreaterThan(0);
  expect(compareVersions(loser, winner)).toBeLessThan(0);
}

describe('conflict rule (MS-PPGRH 3.1.7.32)', () => {
  it('1. the higher version wins, whatever else differs', () => {
    expectWins(v({ version: 3, modified: 1_000, created: 1_000, lastModifier: '00'.repeat(32), signature: Uint8Array.of(0) }), v({ version: 2 }));
  });

  it('2. at equal versions, an updated copy beats a never-updated one', () => {
    const updated = v({ modified: 1_500, lastModifier: '00'.repeat(32) });
    const never = v({ modified: 1_000, created: 1_000, lastModifier: 'ff'.repeat(32) });
    expectWins(updated, never);
  });

  it('3. else the lexicographically higher last-modifier id wins', () => {
    expectWins(v({ lastModifier: 'ab'.repeat(32), modified: 1_500 }), v({ lastModifier: 'aa'.repeat(32), modified: 9_000 }));
  });

  it('4. else the later modification time wins', () => {
    expectWins(v({ modified: 3_000, signature: Uint8Array.of(0) }), v({ modified: 2_000, signature: Uint8Array.of(9, 9, 9, 9) }));
  });

  it('5a. else the longer signature wins', () => {
    expectWins(v({ signature: Uint8Array.of(0, 0, 0, 0) }), v({ signature: Uint8Array.of(9, 9, 9) }));
  });

  it('5b. else the higher signature bytes win', () => {
    expectWins(v({ signature: Uint8Array.of(5, 5, 6) }), v({ signature: Uint8Array.of(5, 5, 5) }));
  });

  it('6. else the two are the same', () => {
    expect(compareVersions(v({}), v({ signature: Uint8Array.of(5, 5, 5) }))).toBe(0);
  });

  it('is deterministic whatever the arrival order: the winner of a set does not depend on its order', () => {
    const copies = [v({ version: 1, modified: 1_000, created: 1_000 }), v({}), v({ lastModifier: 'bb'.repeat(32) }), v({ signature: Uint8Array.of(7) }), v({ modified: 2_500 })];
    const winnerOf = (list: ConflictFields[]) => list.reduce((w, c) => (compareVersions(c, w) > 0 ? c : w));
    const expected = winnerOf(copies);
    for (let i = 0; i < 20; i++) {
      const shuffled = [...copies].sort(() => (((i * 7919) % 13) / 13 > 0.5 ? 1 : -1));
      expect(winnerOf(shuffled)).toBe(expected);
      expect(winnerOf([...copies].reverse())).toBe(expected);
    }
  });
});
