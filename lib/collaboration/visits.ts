import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerNode } from '../node/peer-node.js';

/**
 * The nodes a user keeps in other users' meshes — presence meshes it watches, inboxes it invites
 * through — one per owner and kind, each opened once and at most `max` per kind.
 * @internal
 */
export class Visits {
  private readonly open = new Map<string, Promise<PeerNode>>();
  private closed = false;
  /** Dials of announced addresses that failed (another address of the same peer may have worked). */
  dialFailures = 0;

  constructor(private readonly max: number) {}

  /** The node in `owner`'s mesh of `kind`, opened with `opener` on first use. */
  get(kind: 'presence' | 'inbox', owner: string, opener: () => Promise<PeerNode>): Promise<PeerNode> {
    if (this.closed) return Promise.reject(new PeerChannelError(ErrorCode.CLOSED, 'closed'));
    const key = `${kind}:${owner}`;
    const known = this.open.get(key);
    if (known !== undefined) return known;
    if ([...this.open.keys()].filter((k) => k.startsWith(`${kind}:`)).length >= this.max) {
      return Promise.reject(new PeerChannelError(ErrorCode.CONTACT_LIMIT, `already in ${this.max} ${kind} meshes of other users`));
    }
    const opening = opener().then((node) => {
      if (this.closed) {
        void node.close();
        throw new PeerChannelError(ErrorCode.CLOSED, 'closed');
      }
      return node;
    });
    this.open.set(key, opening);
    opening.catch(() => this.open.get(key) === opening && this.open.delete(key));
    return opening;
  }

  /** Dials `addresses` in turn (pinned to `owner`) until `node` is online; failures are counted. */
  async dialAny(node: PeerNode, owner: string, addresses: readonly string[]): Promise<void> {
    for (const address of addresses) {
      if (node.status === 'online') return;
      try {
        await node.connect(address, owner);
        return;
      } catch (error) {
        // Another address may be the right node (a person runs one node per mesh); if none is,
        // the invitation ends CONTACT_OFFLINE after joinTimeoutMs.
        void error;
        this.dialFailures += 1;
      }
    }
  }

  /** Closes every node. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const nodes = await Promise.allSettled([...this.open.values()]);
    this.open.clear();
    await Promise.allSettled(nodes.map((n) => (n.status === 'fulfilled' ? n.value.close() : undefined)));
  }
}

/**
 * Waits until `node` is online.
 * @throws PeerChannelError (rejects) `PC_ERR_CONTACT_OFFLINE` after `timeoutMs`, `PC_ERR_ABORTED` on `signal`.
 * @internal
 */
export async function waitOnline(node: PeerNode, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  if (node.status === 'online') return;
  signal?.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const done = (error?: PeerChannelError) => {
      clearTimeout(timer);
      sub.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => done(new PeerChannelError(ErrorCode.ABORTED, 'aborted'));
    const timer = setTimeout(() => done(new PeerChannelError(ErrorCode.CONTACT_OFFLINE, 'the contact did not come online in time')), timeoutMs);
    const sub = node.status$.subscribe((s) => s === 'online' && queueMicrotask(() => done()));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
