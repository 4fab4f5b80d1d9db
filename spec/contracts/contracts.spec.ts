import { describe, expect, it } from 'vitest';
import { ErrorCode, PeerContract, PeerHopCount, PeerOperation, contractStub, describeContract } from '../../lib/index.js';
import { checkArguments } from '../../lib/contracts/index.js';
import { Chat } from '../helpers/contracts.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('contract decorators and explorer', () => {
  it('reads operations, kinds, default hops, hop parameter and parameter types', () => {
    const d = describeContract(Chat);
    expect(d.name).toBe('chat');
    expect([...d.operations.keys()].sort()).toEqual(['add', 'fail', 'nudge', 'ping', 'say', 'whois']);
    expect(d.operations.get('say')).toMatchObject({ kind: 'oneWay', defaultHops: undefined, hopParameter: undefined });
    expect(d.operations.get('nudge')).toMatchObject({ defaultHops: 1 });
    expect(d.operations.get('ping')).toMatchObject({ hopParameter: 1 });
    expect(d.operations.get('whois')).toMatchObject({ kind: 'reply' });
    expect(d.operations.get('add')!.parameters.map((p) => p.expected)).toEqual(['number', 'number']);
    expect(describeContract(Chat)).toBe(d);
  });

  it('rejects a class without @PeerContract', () => {
    class Plain {
      @PeerOperation() x(): void {}
    }
    expect(code(() => describeContract(Plain))).toBe(ErrorCode.NOT_A_CONTRACT);
  });

  it('rejects two operations with one name', () => {
    @PeerContract('dup')
    class Dup {
      @PeerOperation({ name: 'same' }) a(): void {}
      @PeerOperation({ name: 'same' }) b(): void {}
    }
    expect(code(() => describeContract(Dup))).toBe(ErrorCode.CONTRACT_DUPLICATE_OPERATION);
  });

  it('rejects an operation that is neither one-way nor reply, or both', () => {
    @PeerContract('neither')
    class Neither {
      @PeerOperation({ oneWay: false }) a(): void {}
    }
    @PeerContract('both')
    class Both {
      @PeerOperation({ oneWay: true, reply: true }) a(): Promise<number> {
        return contractStub();
      }
    }
    @PeerContract('noreturn')
    class NoReturn {
      @PeerOperation({ reply: true }) a() {}
    }
    expect(code(() => describeContract(Neither))).toBe(ErrorCode.CONTRACT_OPERATION_KIND);
    expect(code(() => describeContract(Both))).toBe(ErrorCode.CONTRACT_OPERATION_KIND);
    expect(code(() => describeContract(NoReturn))).toBe(ErrorCode.CONTRACT_OPERATION_KIND);
  });

  it('rejects a hop-count parameter that is not a number, or two of them', () => {
    @PeerContract('hopstr')
    class HopString {
      @PeerOperation() a(@PeerHopCount() hops: string): void {
        void hops;
      }
    }
    @PeerContract('hoptwo')
    class HopTwo {
      @PeerOperation() a(@PeerHopCount() x: number, @PeerHopCount() y: number): void {
        void x; void y;
      }
    }
    expect(code(() => describeContract(HopString))).toBe(ErrorCode.CONTRACT_HOP_PARAMETER);
    expect(code(() => describeContract(HopTwo))).toBe(ErrorCode.CONTRACT_HOP_PARAMETER);
  });

  it('rejects reserved names, bad default hops, and empty contracts', () => {
    @PeerContract('reserved')
    class Reserved {
      @PeerOperation() to(): void {}
    }
    @PeerContract('badhops')
    class BadHops {
      @PeerOperation({ hops: 300 }) a(): void {}
    }
    @PeerContract('empty')
    class Empty {}
    expect(code(() => describeContract(Reserved))).toBe(ErrorCode.CONTRACT_RESERVED_NAME);
    expect(code(() => describeContract(BadHops))).toBe(ErrorCode.CONTRACT_INVALID);
    expect(code(() => describeContract(Empty))).toBe(ErrorCode.CONTRACT_INVALID);
  });

  it("a subclass's operations never change its parent's metadata", () => {
    @PeerContract('base')
    class Base {
      @PeerOperation() a(): void {}
    }
    @PeerContract('derived')
    class Derived extends Base {
      @PeerOperation() b(): void {}
    }
    expect([...describeContract(Base).operations.keys()]).toEqual(['a']);
    expect([...describeContract(Derived).operations.keys()].sort()).toEqual(['a', 'b']);
  });

  it('contract method bodies are declarations', () => {
    expect(code(() => new Chat().whois())).toBe(ErrorCode.CONTRACT_STUB_CALLED);
  });
});

describe('argument checks', () => {
  @PeerContract('types')
  class Types {
    @PeerOperation() every(s: string, n: number, b: boolean, a: string[], u: Uint8Array, d: Date, o: { x: number }, f: Float32Array): void {
      void [s, n, b, a, u, d, o, f];
    }
  }
  const op = describeContract(Types).operations.get('every')!;
  const good = ['s', 1, true, ['a'], new Uint8Array(2), new Date(), { x: 1 }, new Float32Array(1)];

  it('accepts arguments of the declared types, and missing trailing ones', () => {
    expect(checkArguments(op, good)).toBeUndefined();
    expect(checkArguments(op, good.slice(0, 3))).toBeUndefined();
  });

  it.each([
    [0, 1, 'string'],
    [1, '1', 'number'],
    [2, 'yes', 'boolean'],
    [3, 'a', 'array'],
    [4, [1, 2], 'Uint8Array'],
    [5, '2020-01-01', 'Date'],
    [7, new Float64Array(1), 'Float32Array'],
  ])('rejects argument %i = %j (expects %s)', (index, value, expected) => {
    const args: unknown[] = [...good];
    args[index] = value;
    expect(checkArguments(op, args)).toContain(expected);
  });

  it('rejects extra arguments and null for a typed parameter', () => {
    expect(checkArguments(op, [...good, 'extra'])).toMatch(/takes 8 arguments/);
    expect(checkArguments(op, [null])).toContain('string');
  });
});
