import { ErrorCode, PeerChannelError } from '../errors/index.js';
import type { PeerIdentity } from '../identity/peer-identity.js';
import type { PeerNodeOptions } from '../node/options.js';
import { PeerNode } from '../node/peer-node.js';
import { securedMeshName } from '../resolver/secured-mesh.js';
import type { Admission } from '../security/admission.js';
import { certificateAdmission } from '../security/certificate-admission.js';
import { PresenceRecord, PublishedObjectRecord } from './presence-status.js';

/** The classifier of a user's presence mesh, `<peer id>.presence`. */
export const PRESENCE_CLASSIFIER = 'presence';
/** The classifier of a user's invitation inbox mesh, `<peer id>.invitations`. */
export const INBOX_CLASSIFIER = 'invitations';

/**
 * The address of a user's presence mesh: `net.p2p://<peer id>.presence`, a secured mesh name
 * (found only through its owner; through PNRP, a secured peer name only the owner's key publishes).
 */
export function presenceMeshAddress(peerId: string): string {
  return `net.p2p://${securedMeshName(peerId, PRESENCE_CLASSIFIER)}`;
}

/** The address of a user's invitation inbox: `net.p2p://<peer id>.invitations`, secured as {@link presenceMeshAddress}. */
export function inboxMeshAddress(peerId: string): string {
  return `net.p2p://${securedMeshName(peerId, INBOX_CLASSIFIER)}`;
}

/**
 * Node options a collaboration passes on to every node it opens: {@link PeerNodeOptions} without
 * what the collaboration sets itself for each mesh (identity, records, password, certificate,
 * admission, signal, neighbors).
 */
export type PeopleNodeOptions = Omit<PeerNodeOptions, 'identity' | 'records' | 'password' | 'certificate' | 'admission' | 'signal' | 'neighbors'>;

/** Record quotas of a presence mesh's store. */
const PRESENCE_RECORD_LIMITS = { maxRecordsPerCreator: 64, maxRecords: 16_384 } as const;

/**
 * A visitor's links in someone else's mesh: only the owner. The owner is the hub of its meshes (it
 * never dials, it is dialled), so a visitor needs one link and takes none from other visitors.
 */
const VISITOR_NEIGHBORS = { min: 1, ideal: 1, max: 2 } as const;

/**
 * Admits the owner only: the other side must prove it holds the key of `owner` (certificate
 * admission's possession proof, bound to the TLS link). A visitor's node uses it, so nobody but the
 * owner can reach it through the owner's mesh, not even another visitor.
 */
function ownerOnly(owner: string): Admission {
  return { ...certificateAdmission({ trustedPeerIds: [owner] }), name: 'people' };
}

/**
 * Admits whoever `admits(peerId)` approves, evaluated afresh for every link (so trusting a contact
 * takes effect at its next link), after the peer proved it holds that peer id's key.
 */
function ownerAdmits(identity: PeerIdentity, admits: (peerId: string) => boolean): Admission {
  return {
    name: 'people',
    admit: (link, context) => {
      const peer = context.remotePeerId;
      // Listing the peer's own id lets the exchange run and prove possession; a peer not admitted
      // gets the owner's list only, and is refused there with PC_ERR_UNTRUSTED_PEER.
      const trusted = peer !== undefined && admits(peer) ? [identity.peerId, peer] : [identity.peerId];
      return certificateAdmission({ trustedPeerIds: trusted }).admit(link, context);
    },
  };
}

/**
 * Opens a node of a presence mesh. The owner's node keeps the presence records and admits only
 * `admits` (its trusted contacts); a watcher's node admits only the owner.
 * @internal
 */
export function openPresenceNode(identity: PeerIdentity, options: PeopleNodeOptions, owner: string, admits: (peerId: string) => boolean, maxLinks: number): Promise<PeerNode> {
  const mine = owner === identity.peerId;
  return PeerNode.open(presenceMeshAddress(owner), {
    ...options,
    identity,
    admission: mine ? ownerAdmits(identity, admits) : ownerOnly(owner),
    neighbors: mine ? { min: 0, ideal: 0, max: maxLinks } : VISITOR_NEIGHBORS,
    // A presence mesh holds a presence and at most 16 objects per member: anything far beyond that
    // is someone filling the watchers' memory, so the store's own quotas refuse it.
    records: { storage: 'memory', types: [PresenceRecord, PublishedObjectRecord], limits: PRESENCE_RECORD_LIMITS },
  });
}

/**
 * Opens a node of an invitation inbox: the owner's admits anyone who proves its key (strangers'
 * invitations are judged by the invitation rules, not at the door); an inviter's admits the owner only.
 * @internal
 */
export function openInboxNode(identity: PeerIdentity, options: PeopleNodeOptions, owner: string, maxLinks: number): Promise<PeerNode> {
  const mine = owner === identity.peerId;
  if (!Number.isInteger(maxLinks) || maxLinks < 1) throw new PeerChannelError(ErrorCode.INVALID_ARGUMENT, 'maxLinks must be a positive integer');
  return PeerNode.open(inboxMeshAddress(owner), {
    ...options,
    identity,
    admission: mine ? ownerAdmits(identity, () => true) : ownerOnly(owner),
    neighbors: mine ? { min: 0, ideal: 0, max: maxLinks } : VISITOR_NEIGHBORS,
  });
}
