import { type Observable, Subject } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { PeerResolver, ResolvedPeer, ResolverFactory } from '../resolver/resolver.js';
import type { Admission } from '../security/admission.js';
import type { TransportFactory } from '../transport/transport.js';

/** A registration kept alive for the node's lifetime. @internal */
export interface KeptRegistration {
  readonly started: Promise<void>;
  readonly errors$: Observable<unknown>;
  close(): Promise<void>;
}

/** The pieces a node uses when options leave them out. @internal */
export interface NodeDefaults {
  transport(): TransportFactory;
  resolver(): ResolverFactory | null;
  passwordAdmission(password: string): Admission;
  messageSigning(identity: PeerIdentity): { sign: (body: Uint8Array) => Uint8Array; verify: (origin: string, body: Uint8Array, sig: Uint8Array | null) => boolean };
  keepRegistration(resolver: PeerResolver, mesh: string, peer: ResolvedPeer): KeptRegistration;
}

function notYet(what: string): never {
  throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, `${what} must be given explicitly`);
}

/** @internal */
export function nodeDefaults(): NodeDefaults {
  return {
    transport: () => notYet('transport'),
    resolver: () => null,
    passwordAdmission: () => notYet('admission'),
    messageSigning: () => notYet('message signing'),
    keepRegistration: (resolver, mesh, peer) => {
      const errors = new Subject<unknown>();
      let id: string | undefined;
      const started = resolver.register(mesh, peer).then((r) => void (id = r.id));
      return {
        started,
        errors$: errors.asObservable(),
        close: async () => {
          errors.complete();
          if (id !== undefined) await resolver.unregister(id);
        },
      };
    },
  };
}
