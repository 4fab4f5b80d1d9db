import { InvalidArgumentError, Option } from 'commander';
import type { PeerNode } from '../../node/peer-node.js';
import { type Inspector, startInspector } from './inspector-server.js';

/**
 * The value of an `--inspect` flag: absent (`undefined`), given bare (`true`: any free port), or
 * with a port.
 */
export type InspectFlag = boolean | number | undefined;

/**
 * A commander option `--inspect [port]`: serve the live mesh inspector for this program's node
 * on 127.0.0.1 (any free port unless one is given) and print its URL.
 *
 * @example
 * ```ts
 * const o = new Command().addOption(inspectOption()).parse().opts<{ inspect?: number | true }>();
 * const node = await PeerNode.open('net.p2p://lobby');
 * await inspectWhenAsked(node, o.inspect, console.log);
 * ```
 */
export function inspectOption(): Option {
  return new Option('--inspect [port]', 'serve the live mesh inspector for this node on 127.0.0.1 and print its URL').argParser((value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('Give a TCP port in 0..65535.');
    return n;
  });
}

/**
 * Starts the inspector for `node` when `flag` asks for it and prints
 * `inspector: <url>` (the URL carries the page's access token in its fragment).
 *
 * @remarks The inspector closes with the node. Resolves with `undefined` when the flag is absent.
 * @throws PeerChannelError as {@link startInspector} (e.g. the port is taken).
 */
export async function inspectWhenAsked(node: PeerNode, flag: InspectFlag, print: (line: string) => void): Promise<Inspector | undefined> {
  if (flag === undefined || flag === false) return undefined;
  const inspector = await startInspector(node, { port: flag === true ? 0 : flag });
  print(`inspector: ${inspector.url}`);
  return inspector;
}
