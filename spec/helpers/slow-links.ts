import { type Observable, map } from 'rxjs';
import type { DialOptions, Link, Transport } from '../../lib/transport/transport.js';

/**
 * Wraps a transport so that links to the peers in `slow` hold every frame this side sends
 * (as a peer that stopped reading would make them), until {@link SlowLinks.release}.
 */
export class SlowLinks implements Transport {
  readonly name: string;
  private readonly held = new Map<Link, Uint8Array[]>();

  constructor(
    private readonly inner: Transport,
    readonly slow: Set<string>,
  ) {
    this.name = inner.name;
  }

  get addresses(): readonly string[] {
    return this.inner.addresses;
  }

  get inbound$(): Observable<Link> {
    return this.inner.inbound$.pipe(map((l) => this.wrap(l)));
  }

  listen(): Promise<readonly string[]> {
    return this.inner.listen();
  }

  async dial(address: string, options?: DialOptions): Promise<Link> {
    return this.wrap(await this.inner.dial(address, options));
  }

  /** Lets every held frame go. */
  release(): void {
    for (const [link, frames] of this.held) for (const f of frames.splice(0)) if (link.isOpen) link.send(f);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private wrap(link: Link): Link {
    const held: Uint8Array[] = [];
    this.held.set(link, held);
    const slow = this.slow;
    // Frames go through until the handshake is done; only then does the peer "stop reading".
    let frames = 0;
    return new Proxy(link, {
      get(target, prop, receiver) {
        if (prop === 'pendingSends') return held.length + target.pendingSends;
        if (prop === 'send') {
          return (frame: Uint8Array) => {
            frames += 1;
            if (frames > 1 && target.remotePeerId !== undefined && slow.has(target.remotePeerId)) held.push(frame);
            else target.send(frame);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}
