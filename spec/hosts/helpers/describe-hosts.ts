import { describe } from 'vitest';
import { TestBed } from './test-bed.js';

/**
 * `describe` for specs that need the namespace test bed: where it cannot be built (not root, no
 * `ip`, no `nft` when `nat`), the suite is skipped with the reason in its title and on stderr —
 * never silently.
 */
export function describeOnHosts(file: string, title: string, body: () => void, needs: { nat?: boolean } = {}): void {
  const unavailable = TestBed.unavailableReason(needs);
  if (unavailable !== undefined) console.warn(`${file}: SKIPPED — ${unavailable}`);
  describe.skipIf(unavailable !== undefined)(`${title}${unavailable ? ` (skipped: ${unavailable})` : ''}`, body);
}
