export { PeopleNearMe, type PeopleNearMeOptions, type NearbyPeer, type NearbyEvent, type PresenceAnnouncement, type PeopleNearMeStats } from './people-near-me.js';
export { lanResolver, type LanResolver, type LanResolverOptions } from './lan-resolver.js';
export { PRESENCE_SERVICE, defaultPresenceLimits, type PresenceLimits } from './presence-record.js';
