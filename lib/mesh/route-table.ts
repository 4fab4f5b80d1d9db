/**
 * Where each peer was last heard from: origin → neighbour. Bounded, least recently learned
 * entries go first.
 */
export class RouteTable {
  private readonly routes = new Map<string, string>();

  constructor(readonly capacity: number) {}

  set(origin: string, via: string): void {
    this.routes.delete(origin);
    if (this.routes.size >= this.capacity) this.routes.delete(this.routes.keys().next().value as string);
    this.routes.set(origin, via);
  }

  get(origin: string): string | undefined {
    return this.routes.get(origin);
  }

  delete(origin: string): void {
    this.routes.delete(origin);
  }
}
