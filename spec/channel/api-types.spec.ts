import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Observable } from 'rxjs';
import { ErrorCode, type GatherProxy, type IdProxy, type MemberInfo, type NeighborInfo, type OperationArgs, type PeerCall, type PeerId, type PeerNode, type PeerProxy, type Reply, type ReplyOperationKeys, type SentCall, asPeerId, isPeerId } from '../../lib/index.js';
import { Chat } from '../helpers/contracts.js';

// Checked by `tsc -p tsconfig.json` (npm test): each `@ts-expect-error` fails the build if the
// line below it ever type-checks, and each expectTypeOf fails it if a type drifts.

describe('API types', () => {
  it('calls$ without an operation types args as the union of the operations\u2019 args', () => {
    expectTypeOf<OperationArgs<Chat, 'say' | 'add'>>().toEqualTypeOf<[from: string, text: string] | [a: number, b: number]>();
    const calls = (node: PeerNode) => node.calls$(Chat);
    type Args = ReturnType<typeof calls> extends Observable<PeerCall<infer A>> ? A : 'not an Observable of PeerCall';
    expectTypeOf<Args>().not.toBeNever();
    expectTypeOf<[from: string, text: string]>().toExtend<Args>();
    expectTypeOf<[a: number, b: number]>().toExtend<Args>();
    expectTypeOf<[]>().toExtend<Args>();
    const one = (node: PeerNode) => node.calls$(Chat, 'say');
    expectTypeOf<ReturnType<typeof one>>().toEqualTypeOf<Observable<PeerCall<[from: string, text: string]>>>();
    const bad = (node: PeerNode) => {
      // @ts-expect-error: not an operation of Chat
      node.calls$(Chat, 'nope');
    };
    void bad;
  });

  it('gather() offers only reply operations', () => {
    expectTypeOf<ReplyOperationKeys<Chat>>().toEqualTypeOf<'whois' | 'add' | 'fail'>();
    expectTypeOf<keyof GatherProxy<Chat>>().toEqualTypeOf<'whois' | 'add' | 'fail'>();
    expectTypeOf<GatherProxy<Chat>['whois']>().toEqualTypeOf<() => Observable<Reply<string>>>();
    const misuse = (chat: PeerProxy<Chat>) => {
      // @ts-expect-error: say is one-way, there is nothing to gather
      chat.gather().say('a', 'b');
      // @ts-expect-error: nudge is one-way
      chat.all.nudge('a');
    };
    void misuse;
  });

  it('withId() returns the message id and the outcome at once', () => {
    expectTypeOf<IdProxy<Chat>['whois']>().toEqualTypeOf<() => SentCall<string>>();
    expectTypeOf<IdProxy<Chat>['say']>().toEqualTypeOf<(from: string, text: string) => SentCall<void>>();
    expectTypeOf<SentCall<string>['id']>().toEqualTypeOf<string>();
    expectTypeOf<Reply<string>['request']>().toEqualTypeOf<string>();
  });

  it('plain proxies keep their Promise types', () => {
    expectTypeOf<PeerProxy<Chat>['say']>().toEqualTypeOf<(from: string, text: string) => Promise<void>>();
    expectTypeOf<PeerProxy<Chat>['add']>().toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf<ReturnType<PeerProxy<Chat>['withoutSelf']>>().toEqualTypeOf<PeerProxy<Chat>>();
  });

  it('to() takes a PeerId: a name or any plain string does not compile; ids come typed from the framework', () => {
    expectTypeOf<PeerNode['peerId']>().toEqualTypeOf<PeerId>();
    expectTypeOf<PeerCall['from']>().toEqualTypeOf<PeerId>();
    expectTypeOf<Reply<string>['from']>().toEqualTypeOf<PeerId>();
    expectTypeOf<NeighborInfo['peerId']>().toEqualTypeOf<PeerId>();
    expectTypeOf<MemberInfo['peerId']>().toEqualTypeOf<PeerId>();
    expectTypeOf<PeerId>().toExtend<string>();
    const calls = (chat: PeerProxy<Chat>, node: PeerNode, call: PeerCall, text: string) => {
      chat.to(node.peerId).say('a', 'b');
      chat.to(call.from).say('a', 'b');
      chat.to(asPeerId(text)).say('a', 'b');
      if (isPeerId(text)) chat.to(text).say('a', 'b');
      // @ts-expect-error: a peer's name is not its id
      chat.to('bob');
      // @ts-expect-error: an unchecked string is not a PeerId
      chat.to(text);
    };
    void calls;
  });

  it('asPeerId() checks the form at run time and throws PC_ERR_INVALID_ARGUMENT', () => {
    const id = 'ab'.repeat(32);
    expect(asPeerId(id)).toBe(id);
    for (const bad of ['bob', 'AB'.repeat(32), 'ab'.repeat(31), `${id}0`, '']) {
      expect(() => asPeerId(bad)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    }
    expect(() => asPeerId(7 as unknown as string)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });
});
