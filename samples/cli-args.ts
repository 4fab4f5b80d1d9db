/** Command-line helpers the samples share (commander argument parsers, error text). */
import { InvalidArgumentError } from 'commander';
import { parseMeshAddress, toPeerChannelError } from '../lib/index.js';

/** An error as a person reads it: its message and its `PC_ERR_*` code. */
export function describeError(error: unknown): string {
  const e = toPeerChannelError(error);
  return `${e.message} (${e.code})`;
}

/** commander parser for `--mesh`: a `net.p2p://name` address, refused with the framework's reason. */
export function parseMesh(value: string): string {
  try {
    parseMeshAddress(value);
  } catch (error) {
    throw new InvalidArgumentError(`${toPeerChannelError(error).message}.`);
  }
  return value;
}
