import { ErrorCode, PeerChannelError } from '../errors/index.js';

const SCHEME = 'net.p2p://';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Parses a mesh address `net.p2p://name` (WCF's scheme) into the mesh name.
 *
 * @throws PeerChannelError `PC_ERR_INVALID_MESH_ADDRESS` for anything else.
 */
export function parseMeshAddress(address: string): string {
  if (typeof address !== 'string' || !address.startsWith(SCHEME)) {
    throw new PeerChannelError(ErrorCode.INVALID_MESH_ADDRESS, `mesh address must look like net.p2p://name, got ${JSON.stringify(address)}`);
  }
  const name = address.slice(SCHEME.length).replace(/\/$/, '');
  if (!NAME.test(name)) {
    throw new PeerChannelError(ErrorCode.INVALID_MESH_ADDRESS, `mesh name '${name}' must be 1-100 letters, digits, '.', '_' or '-'`);
  }
  return name;
}
