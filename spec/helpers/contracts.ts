import { PeerContract, PeerHopCount, PeerOperation, contractStub } from '../../lib/index.js';

/** The contract most mesh specs use. */
@PeerContract('chat')
export class Chat {
  @PeerOperation() say(from: string, text: string): void {
    void from; void text;
  }
  @PeerOperation({ hops: 1 }) nudge(from: string): void {
    void from;
  }
  @PeerOperation() ping(from: string, @PeerHopCount() hops: number): void {
    void from; void hops;
  }
  @PeerOperation({ reply: true }) whois(): Promise<string> {
    return contractStub();
  }
  @PeerOperation({ reply: true }) add(a: number, b: number): Promise<number> {
    return contractStub();
  }
  @PeerOperation({ reply: true }) fail(code: string): Promise<void> {
    return contractStub();
  }
}
