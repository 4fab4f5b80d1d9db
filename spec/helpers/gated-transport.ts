import type { Observable } from 'rxjs';
import { map } from 'rxjs';
import type { DialOptions, FrameReceiver, Link, LinkCloseInfo, Transport, TransportFactory } from '../../lib/transport/transport.js';

/**
 * A link whose inbound frames can be held back and released later, in order: a deterministic
 * way to make one side learn something (a welcome, a notice) only after the other has acted.
 */
export class GatedLink implements Link {
  private receiver: FrameReceiver | undefined;
  private readonly held: Uint8Array[] = [];
  private gated = false;

  constructor(readonly inner: Link) {
    inner.setReceiver((frame) => this.arrive(frame));
  }

  get id(): string { return this.inner.id; }
  get direction(): 'inbound' | 'outbound' { return this.inner.direction; }
  get remoteAddress(): string { return this.inner.remoteAddress; }
  get remotePeerId(): string | undefined { return this.inner.remotePeerId; }
  get pendingSends(): number { return this.inner.pendingSends; }
  get isOpen(): boolean { return this.inner.isOpen; }
  get closed(): Promise<LinkCloseInfo> { return this.inner.closed; }
  send(frame: Uint8Array): void { this.inner.send(frame); }
  close(code: LinkCloseInfo['code'], reason: string): void { this.inner.close(code, reason); }
  exportKeyingMaterial(length: number, label: string): Uint8Array {
    if (this.inner.exportKeyingMaterial === undefined) throw new Error('no keying material on this link');
    return this.inner.exportKeyingMaterial(length, label);
  }

  /** Holds every inbound frame from now on. */
  hold(): void {
    this.gated = true;
  }

  /** Frames held so far. */
  get heldFrames(): number {
    return this.held.length;
  }

  /** Delivers the held frames in order and stops holding. */
  release(): void {
    this.gated = false;
    this.drain();
  }

  setReceiver(receiver: FrameReceiver | undefined): void {
    this.receiver = receiver;
    this.drain();
  }

  private arrive(frame: Uint8Array): void {
    if (this.gated || this.receiver === undefined || this.held.length > 0) this.held.push(frame);
    else this.receiver(frame);
  }

  private drain(): void {
    while (!this.gated && this.receiver !== undefined && this.held.length > 0) this.receiver(this.held.shift() as Uint8Array);
  }
}

/** Wraps a transport factory so every link (dialled or accepted) is a {@link GatedLink}, recorded in `links`. */
export function gatedTransport(inner: TransportFactory): { factory: TransportFactory; links: GatedLink[]; onDial?: (link: GatedLink) => void } {
  const out: { factory: TransportFactory; links: GatedLink[]; onDial?: (link: GatedLink) => void } = {
    links: [],
    factory: (components) => {
      const t = inner(components);
      const wrap = (l: Link) => {
        const g = new GatedLink(l);
        out.links.push(g);
        return g;
      };
      const wrapped: Transport = {
        name: t.name,
        listen: () => t.listen(),
        get addresses() { return t.addresses; },
        inbound$: t.inbound$.pipe(map(wrap)) as Observable<Link>,
        dial: async (address: string, options?: DialOptions) => {
          const g = wrap(await t.dial(address, options));
          out.onDial?.(g);
          return g;
        },
        close: () => t.close(),
      };
      return wrapped;
    },
  };
  return out;
}
