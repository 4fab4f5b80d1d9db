import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { MAX_PASSWORD_BYTES, passwordAdmission } from '../../lib/security/password-admission.js';
import { memoryPairs } from './fixtures.js';
import { passwordAdmissionSuite } from './password-admission-suite.js';

passwordAdmissionSuite('the memory transport', memoryPairs);

describe('passwordAdmission options', () => {
  it('refuses an empty or oversized password and a non-positive timeout', () => {
    expect(() => passwordAdmission('')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => passwordAdmission('x'.repeat(MAX_PASSWORD_BYTES + 1))).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(() => passwordAdmission('ok', { timeoutMs: 0 })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(passwordAdmission('x'.repeat(MAX_PASSWORD_BYTES)).name).toBe('password');
  });
});
