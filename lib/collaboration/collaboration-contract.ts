import { PeerContract, PeerOperation, contractStub } from '../contracts/index.js';

/**
 * How collaboration peers talk: one directed request/reply operation carrying a signed envelope
 * (an invitation, its withdrawal, or its answer). Hosted on the inbox nodes of a {@link Collaboration}.
 * @internal
 */
@PeerContract('peerchannel.collaboration')
export class CollaborationContract {
  /** Resolves `'ok'` once the envelope is taken; rejects with the code of the refusal. */
  @PeerOperation({ reply: true }) deliver(envelope: Uint8Array): Promise<string> {
    void envelope;
    return contractStub();
  }
}
