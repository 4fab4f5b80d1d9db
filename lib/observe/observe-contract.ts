import { PeerContract, PeerOperation, contractStub } from '../contracts/index.js';

/**
 * The built-in contract every node hosts for tracing and the mesh view.
 *
 * @remarks
 * `report` is a directed one-way call: a node tells a traced message's sender what it did with
 * it. `probe` is a flood that does nothing but be traced. `describe` is a reply operation gathered over the mesh: each node answers with a small
 * description of itself. Both payloads are tuples validated by their decoders.
 * @internal
 */
@PeerContract('peerchannel.observe')
export class ObserveContract {
  @PeerOperation() report(report: unknown[]): void {
    void report;
  }
  /** A traced flood with no other effect, for seeing how the mesh carries a message. */
  @PeerOperation() probe(note: string): void {
    void note;
  }
  @PeerOperation({ reply: true }) describe(): Promise<unknown[]> {
    return contractStub();
  }
}
