import { type Observable, Subscription } from 'rxjs';
import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { MeshStatus } from '../mesh/mesh.js';
import type { MeshRefusal } from '../mesh/refusal-tracker.js';

/** Options of {@link PeerNode.whenOnline}. */
export interface WhenOnlineOptions {
  /** Rejects with `PC_ERR_TIMEOUT` after this long. @defaultValue no timeout */
  readonly timeoutMs?: number;
  /** Rejects with `PC_ERR_ABORTED` when aborted. */
  readonly signal?: AbortSignal;
}

/** The error `whenOnline` rejects with when the mesh refused this node. */
export function refusalError(refusal: MeshRefusal): PeerChannelError {
  const who = refusal.refusedBy.length === 1 ? '1 member' : `${refusal.refusedBy.length} members`;
  return new PeerChannelError(refusal.code, `refused by the mesh: ${refusal.code} (${who} refused this node's admission: ${refusal.message})`);
}

/** What {@link whenOnline} watches. @internal */
export interface OnlineSource {
  readonly currentStatus: MeshStatus;
  readonly status$: Observable<MeshStatus>;
  readonly refusal: MeshRefusal | undefined;
  readonly refused$: Observable<MeshRefusal>;
}

/** `PeerNode.whenOnline` (see there). @internal */
export function whenOnline(mesh: OnlineSource, closed: boolean, options: WhenOnlineOptions = {}): Promise<void> {
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
    return Promise.reject(new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'whenOnline timeoutMs must be a positive number'));
  }
  if (closed) return Promise.reject(new PeerChannelError(ErrorCode.CLOSED, 'the node is closed'));
  if (mesh.currentStatus === 'online') return Promise.resolve();
  const refusedNow = mesh.refusal;
  if (refusedNow !== undefined) return Promise.reject(refusalError(refusedNow));
  if (signal?.aborted === true) return Promise.reject(new PeerChannelError(ErrorCode.ABORTED, 'whenOnline aborted', { cause: signal.reason }));
  return new Promise<void>((resolve, reject) => {
    const subs = new Subscription();
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => finish(() => reject(new PeerChannelError(ErrorCode.ABORTED, 'whenOnline aborted', { cause: signal?.reason })));
    const finish = (settle: () => void) => {
      subs.unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => finish(() => reject(new PeerChannelError(ErrorCode.TIMEOUT, `not online within ${timeoutMs} ms`))), timeoutMs);
    }
    subs.add(mesh.refused$.subscribe((r) => finish(() => reject(refusalError(r)))));
    subs.add(
      mesh.status$.subscribe({
        next: (status) => {
          if (status === 'online') finish(resolve);
        },
        complete: () => finish(() => reject(new PeerChannelError(ErrorCode.CLOSED, 'the node closed before it was online'))),
      }),
    );
  });
}
