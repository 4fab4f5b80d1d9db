import { describe, expectTypeOf, it } from 'vitest';
import type { Observable } from 'rxjs';
import type { GatherProxy, IdProxy, OperationArgs, PeerCall, PeerNode, PeerProxy, Reply, ReplyOperationKeys, SentCall } from '../../lib/index.js';
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
});
