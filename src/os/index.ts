// The Linux adapters the VRRP engine drives (see each module for details).
export { VrrpSocket, VrrpSocketError, openVrrpSocket, VRRP_GROUP4, VRRP_GROUP6 } from './vrrp-socket.js';
export type { VrrpDatagram, VrrpSocketOptions } from './vrrp-socket.js';
export {
  addAddress,
  deleteAddress,
  listAddresses,
  primaryAddress,
  removeLeftoverVips,
  broadcastOf,
  AddressError,
} from './addresses.js';
export type { VipSpec, AddressInfo } from './addresses.js';
export { addRoute, deleteRoute, RouteError, RTPROT_KEEPALIVED } from './routes.js';
export type { RouteSpec, RouteKind } from './routes.js';
export { GarpSender, GarpError, openGarpSender, buildGratuitousArp, buildUnsolicitedNa } from './garp.js';
export { LinkMonitor, getLink, listLinks, linkUsable, openRtnl, closeRtnl } from './link.js';
export type { LinkInfo, LinkChange, OperState, RtNetlinkSocket } from './link.js';
export { parseMac, formatMac } from './mac.js';
export { inNetns } from './native.js';
