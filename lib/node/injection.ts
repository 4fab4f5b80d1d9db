import { type DependencyContainer, inject, injectable } from 'tsyringe';
import { DECORATOR_METADATA_HINT, decoratorMetadataMissingSeen } from '../contracts/metadata-check.js';
import { ErrorCode, PeerChannelError } from '../errors/index.js';

/**
 * tsyringe's `@injectable()`, re-exported so that a service class is always registered with the
 * tsyringe copy PeerChannel resolves from.
 *
 * @remarks The one rule of dependency injection: a service class passed to `node.host()` whose
 * constructor takes parameters is decorated with `@injectable()` — this one, or one imported from
 * the single `tsyringe` installed beside PeerChannel (a peer dependency). Under a transpiler that
 * drops decorator metadata (tsx, esbuild), also put `@inject(token)` on every parameter.
 */
export { injectable, inject };

/** A constructible service class, as `node.host()` takes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructible<T> = new (...args: any[]) => T;

const TYPE_INFO_UNKNOWN = /^TypeInfo not known for/;
const CANNOT_INJECT = /^Cannot inject the dependency/;
const UNREGISTERED = /^Attempted to resolve unregistered dependency token/;

/**
 * Resolves a service class in a node's container, translating tsyringe's failures into a coded
 * error that says what to do.
 *
 * @throws PeerChannelError `PC_ERR_SERVICE_NOT_INJECTABLE` when the class cannot be constructed;
 * the tsyringe error is its `cause`. Errors thrown by the constructor itself pass through.
 */
export function resolveService<T>(container: DependencyContainer, service: Constructible<T>): T {
  try {
    return container.resolve(service);
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const name = service.name || 'the service class';
    if (TYPE_INFO_UNKNOWN.test(message) && message.includes(`"${service.name}"`)) {
      throw new PeerChannelError(ErrorCode.SERVICE_NOT_INJECTABLE, `${name} takes ${service.length} constructor parameter(s) that tsyringe does not know how to supply. ${whyUnknown(service)}`, { cause: err });
    }
    if (TYPE_INFO_UNKNOWN.test(message) || CANNOT_INJECT.test(message) || UNREGISTERED.test(message)) {
      throw new PeerChannelError(
        ErrorCode.SERVICE_NOT_INJECTABLE,
        `${name} could not be constructed by dependency injection: ${message}. Every constructor parameter must be a class decorated with @injectable() ` +
          `or carry @inject(token) with a token registered in the node's container (PEER_NODE is).`,
        { cause: err },
      );
    }
    throw err;
  }
}

function whyUnknown(service: Constructible<unknown>): string {
  const emitted = Reflect.getMetadata('design:paramtypes', service) !== undefined;
  if (emitted) {
    return (
      'It carries a class decorator, but not the @injectable() of the tsyringe copy PeerChannel uses: another copy of tsyringe is installed ' +
      "(check `npm ls tsyringe`; tsyringe is a peer dependency, so keep one copy), or import { injectable } from 'peerchannel'."
    );
  }
  const hint = decoratorMetadataMissingSeen() ? ` Decorator metadata is also missing in this process: ${DECORATOR_METADATA_HINT}` : '';
  return (
    "Decorate it with @injectable() (import { injectable } from 'peerchannel'), or pass an instance to node.host(). If it is decorated, " +
    `this code was compiled without decorator metadata (tsx, esbuild): put @inject(token) on every parameter, or compile with emitDecoratorMetadata.${hint}`
  );
}
