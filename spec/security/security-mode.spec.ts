import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors/index.js';
import { PeerIdentity } from '../../lib/identity/peer-identity.js';
import { assertLinkSecurity, checkSecurityHelloExt, meshSecurity, securityHelloExt } from '../../lib/security/index.js';
import { memoryPairs, tapLink } from './fixtures.js';

const invalid = expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT });
const mismatch = expect.objectContaining({ code: ErrorCode.SECURITY_MODE_MISMATCH });

describe('meshSecurity', () => {
  it('maps each mode to link authentication and message signing', () => {
    const flags = (mode: 'none' | 'transport' | 'message' | 'both') => {
      const s = meshSecurity({ mode });
      return [s.requireAuthenticatedLinks, s.signMessages];
    };
    expect(flags('none')).toEqual([false, false]);
    expect(flags('transport')).toEqual([true, false]);
    expect(flags('message')).toEqual([false, true]);
    expect(flags('both')).toEqual([true, true]);
    expect(meshSecurity().mode).toBe('transport');
    expect(meshSecurity().admission).toBeUndefined();
  });

  it('builds the password or certificate admission it is given', () => {
    expect(meshSecurity({ password: 'hunter2' }).admission?.name).toBe('password');
    expect(meshSecurity({ mode: 'both', certificate: { trustedPeerIds: [PeerIdentity.generate().peerId] } }).admission?.name).toBe('certificate');
    const custom = { name: 'custom', admit: async () => undefined };
    expect(meshSecurity({ mode: 'message', admission: custom }).admission).toBe(custom);
  });

  it('refuses contradictory options', () => {
    expect(() => meshSecurity({ mode: 'sideways' as never })).toThrow(invalid);
    expect(() => meshSecurity({ password: 'a', certificate: { trustedPeerIds: ['a'.repeat(64)] } })).toThrow(invalid);
    expect(() => meshSecurity({ mode: 'none', password: 'a' })).toThrow(invalid);
    expect(() => meshSecurity({ password: '' })).toThrow(invalid);
  });

  it('requires authenticated links only in transport and both modes', async () => {
    const pair = await memoryPairs()();
    try {
      // The same link as a transport that authenticates nobody would present it.
      const anonymous = Object.create(tapLink(pair.dialer), { remotePeerId: { value: undefined } }) as typeof pair.dialer;
      expect(() => assertLinkSecurity(meshSecurity({ mode: 'transport' }), anonymous)).toThrow(mismatch);
      expect(() => assertLinkSecurity(meshSecurity({ mode: 'both' }), anonymous)).toThrow(mismatch);
      expect(() => assertLinkSecurity(meshSecurity({ mode: 'message' }), anonymous)).not.toThrow();
      expect(() => assertLinkSecurity(meshSecurity({ mode: 'transport' }), pair.dialer)).not.toThrow();
    } finally {
      await pair.close();
    }
  });

  it('announces the mode in the hello and refuses a peer with another', () => {
    const both = meshSecurity({ mode: 'both' });
    expect(() => checkSecurityHelloExt(both, securityHelloExt(meshSecurity({ mode: 'both' })))).not.toThrow();
    expect(() => checkSecurityHelloExt(both, securityHelloExt(meshSecurity({ mode: 'transport' })))).toThrow(mismatch);
    expect(() => checkSecurityHelloExt(both, {})).toThrow(mismatch);
  });
});
