import { Subject, type Observable } from 'rxjs';
import { ErrorCode, PeerChannelError, toPeerChannelError } from '../errors/index.js';
import type { PeerResolver, Registration, ResolvedPeer } from './resolver.js';
import { checkMesh, checkPeer } from './resolver-limits.js';

/** Options for {@link RegistrationKeeper}. */
export interface RegistrationKeeperOptions {
  /**
   * Share of the granted TTL after which the keeper refreshes: early enough that two more tries
   * still fit before expiry (WCF refreshed at the moment of expiry, and lost registrations to
   * every delay).
   * @defaultValue 1/3
   */
  readonly refreshFraction?: number;
  /**
   * First delay before retrying a failed refresh or re-registration; doubles on each further
   * failure, never past {@link RegistrationKeeperOptions.maxRetryDelayMs} nor past a third of the
   * last granted TTL.
   * @defaultValue 500
   */
  readonly retryDelayMs?: number;
  /**
   * Longest delay between retries.
   * @defaultValue 30_000
   */
  readonly maxRetryDelayMs?: number;
  /** Closes the keeper (and unregisters) when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Keeps one peer registered in one mesh: registers, refreshes at a third of the granted TTL,
 * re-registers when the resolver has forgotten the registration, and unregisters on close.
 *
 * @remarks
 * A refresh that fails with `PC_ERR_NOT_REGISTERED` (the registration expired, or a resolver
 * service restarted and lost its table) is followed at once by a fresh register; any other
 * failure is retried with exponential backoff. Every failure is reported on
 * {@link RegistrationKeeper.errors$} and never thrown, except by {@link RegistrationKeeper.start}.
 * Exactly one timer is pending at any time, and none after {@link RegistrationKeeper.close}.
 *
 * @example
 * ```ts
 * const keeper = new RegistrationKeeper(resolver, 'lobby', { peerId, addresses });
 * keeper.errors$.subscribe((e) => log.warn(e.code, e.message));
 * await keeper.start();      // rejects if the first registration fails
 * // …
 * await keeper.close();      // unregisters
 * ```
 */
export class RegistrationKeeper {
  private readonly errors = new Subject<PeerChannelError>();
  /**
   * Hot: every failure to register, refresh or unregister, as it happens (informational; the
   * keeper goes on trying). Completes on close.
   */
  readonly errors$: Observable<PeerChannelError> = this.errors.asObservable();
  private readonly mesh: string;
  private readonly peer: ResolvedPeer;
  private readonly refreshFraction: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private current: Registration | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  private closing: Promise<void> | undefined;
  private busy: Promise<void> = Promise.resolve();
  private readonly onAbort = () => void this.close();

  constructor(
    private readonly resolver: PeerResolver,
    mesh: string,
    peer: ResolvedPeer,
    private readonly options: RegistrationKeeperOptions = {},
  ) {
    this.mesh = checkMesh(mesh);
    this.peer = checkPeer(peer);
    this.refreshFraction = options.refreshFraction ?? 1 / 3;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    if (!(this.refreshFraction > 0 && this.refreshFraction < 1)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'refreshFraction must be in (0, 1)');
    }
    if (!(this.retryDelayMs >= 1 && this.maxRetryDelayMs >= this.retryDelayMs)) {
      throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'retry delays must be >= 1 ms and maxRetryDelayMs >= retryDelayMs');
    }
  }

  /** The live registration, or `undefined` while none is held (before start, between a loss and the re-registration, after close). */
  get registration(): Registration | undefined {
    return this.current;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Makes the first registration and starts refreshing it.
   * @throws PeerChannelError the resolver's error when the first registration fails (the keeper
   * is then closed); `PC_ERR_ABORTED` when the signal fires first; `PC_ERR_CLOSED` after close;
   * `PC_ERR_INVALID_ARGUMENT` when started twice.
   */
  async start(): Promise<Registration> {
    if (this.state === 'closed') throw new PeerChannelError(ErrorCode.CLOSED, 'registration keeper is closed');
    if (this.state !== 'new') throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'registration keeper already started');
    const signal = this.options.signal;
    if (signal?.aborted) {
      await this.close();
      throw new PeerChannelError(ErrorCode.ABORTED, 'registration aborted', { cause: signal.reason });
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.state = 'starting';
    let registration: Registration;
    try {
      registration = await this.resolver.register(this.mesh, this.peer, { signal });
    } catch (error) {
      await this.close();
      throw toPeerChannelError(error, ErrorCode.RESOLVER_FAILED);
    }
    if (this.isClosed()) {
      await this.withdraw(registration);
      throw new PeerChannelError(signal?.aborted ? ErrorCode.ABORTED : ErrorCode.CLOSED, 'registration keeper closed while registering');
    }
    this.state = 'running';
    this.granted(registration);
    return registration;
  }

  /** Stops refreshing, clears every timer, unregisters, and completes {@link RegistrationKeeper.errors$}. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.state = 'closed';
    this.options.signal?.removeEventListener('abort', this.onAbort);
    clearTimeout(this.timer);
    this.timer = undefined;
    // Wait for an in-flight refresh so its outcome (maybe a new registration id) is what we withdraw.
    this.closing = this.busy.then(async () => {
      const last = this.current;
      this.current = undefined;
      if (last !== undefined) await this.withdraw(last);
      this.errors.complete();
    });
    return this.closing;
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private async withdraw(registration: Registration): Promise<void> {
    try {
      await this.resolver.unregister(registration.id);
    } catch (error) {
      // A closed resolver or an unreachable service: the registration will expire on its own.
      this.report(error);
    }
  }

  private granted(registration: Registration): void {
    this.current = registration;
    this.failures = 0;
    this.schedule(Math.max(1, Math.floor(registration.ttlMs * this.refreshFraction)));
  }

  private schedule(delayMs: number): void {
    if (this.isClosed()) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.busy = this.tick();
    }, delayMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const held = this.current;
    try {
      const registration = held === undefined
        ? await this.resolver.register(this.mesh, this.peer)
        : await this.resolver.refresh(held.id);
      if (this.isClosed()) {
        if (registration.id !== held?.id) await this.withdraw(registration);
        else this.current = registration;
        return;
      }
      this.granted(registration);
    } catch (error) {
      this.report(error);
      if (this.isClosed()) return;
      if (held !== undefined && error instanceof PeerChannelError && error.code === ErrorCode.NOT_REGISTERED) {
        // Forgotten (expired, or the service restarted): register again straight away, inside
        // this same tick so that close() waits for it.
        this.current = undefined;
        await this.tick();
        return;
      }
      if (error instanceof PeerChannelError && error.code === ErrorCode.CLOSED) {
        // The resolver itself was closed under us: nothing left to keep.
        this.current = undefined;
        return;
      }
      this.failures += 1;
      this.schedule(this.backoff(held));
    }
  }

  private backoff(held: Registration | undefined): number {
    const exp = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** Math.min(this.failures - 1, 30));
    // Retry while the registration can still be saved: never wait more than a third of its TTL.
    return held === undefined ? exp : Math.max(1, Math.min(exp, Math.floor(held.ttlMs / 3)));
  }

  private report(error: unknown): void {
    if (!this.errors.closed) this.errors.next(toPeerChannelError(error, ErrorCode.RESOLVER_FAILED));
  }
}
