const SECURED = /^([0-9a-fA-F]{64})\.(.+)$/;
const SCHEME = /^net\.p2p:\/\//i;

/**
 * The owner of a *secured mesh name*, or `undefined` for an ordinary mesh name.
 *
 * @remarks
 * A mesh named `<peer id>.<classifier>` (64 hex digits, a dot, anything a mesh name allows) is
 * secured: it is found only through its owner, the holder of the key that hashes to that peer id.
 * Every {@link PeerNode} honours this whatever its resolver: only the owner registers the name, and
 * of what a resolver returns only the owner's peer id is dialled (the TLS transport pins it). PNRP
 * goes further and publishes it as the secured peer name `<peer id>.<classifier>`, whose records
 * every node refuses unless the owner's key signed them (`PC_ERR_NAME_NOT_OWNED`), so an impostor's
 * record never resolves at all. Peers other than the owner reach the mesh through the owner.
 *
 * @example
 * ```ts
 * securedMeshOwner(`${alice.peerId}.presence`); // alice.peerId
 * securedMeshOwner('lobby');                    // undefined
 * ```
 */
export function securedMeshOwner(mesh: string): string | undefined {
  if (typeof mesh !== 'string') return undefined;
  const match = SECURED.exec(mesh.replace(SCHEME, '').replace(/\/$/, ''));
  return match === null ? undefined : (match[1] as string).toLowerCase();
}

/** The secured mesh name `<owner>.<classifier>` of {@link securedMeshOwner}. */
export function securedMeshName(owner: string, classifier: string): string {
  return `${owner.toLowerCase()}.${classifier}`;
}
