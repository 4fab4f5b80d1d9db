import { describe, expect, it } from 'vitest';

function mark(): MethodDecorator & ClassDecorator {
  return () => undefined;
}

@mark()
class Service {
  constructor(readonly name: string, readonly size: number) {}
  @mark()
  op(text: string, count: number, data: Uint8Array): void {
    void text; void count; void data;
  }
}

describe('decorator metadata canary', () => {
  it('emits design:paramtypes for constructors and methods (vitest transformer honours emitDecoratorMetadata)', () => {
    expect(Reflect.getMetadata('design:paramtypes', Service)).toEqual([String, Number]);
    expect(Reflect.getMetadata('design:paramtypes', Service.prototype, 'op')).toEqual([String, Number, Uint8Array]);
  });
});
