import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CmdAttr,
  DaemonAttr,
  attr,
  decodeDaemon,
  encodeDaemon,
  encodeDaemonState,
  nest,
  parseAttrs,
} from '../../../src/dataplane/ipvs/attrs.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('NEW_DAEMON: state, NUL-terminated interface, sync id; nothing the config left out', () => {
  assert.equal(
    hex(encodeDaemon({ state: 'backup', mcastInterface: 'eth1', syncid: 7 })),
    '20000380' + // nested IPVS_CMD_ATTR_DAEMON, 32 bytes
      '0800010002000000' + // STATE = IP_VS_STATE_BACKUP
      '0900020065746831' +
      '00000000' + // "eth1\0", padded to 12
      '0800030007000000', // SYNC_ID 7
  );
});

test('NEW_DAEMON options: maxlen/port host order (u16), ttl u8, IPv4 group as 4 network bytes', () => {
  const a = parseAttrs(
    parseAttrs(
      encodeDaemon({
        state: 'master',
        mcastInterface: 'eth0',
        syncid: 0,
        syncMaxlen: 1400,
        mcastPort: 8849,
        mcastTtl: 2,
        mcastGroup: '239.1.2.3',
      }),
    ).get(CmdAttr.DAEMON)!,
  );
  assert.equal(a.get(DaemonAttr.STATE)!.readUInt32LE(0), 1);
  assert.equal(hex(a.get(DaemonAttr.SYNC_MAXLEN)!), hex(Buffer.of(0x78, 0x05)));
  assert.equal(hex(a.get(DaemonAttr.MCAST_PORT)!), hex(Buffer.of(0x91, 0x22)));
  assert.equal(hex(a.get(DaemonAttr.MCAST_TTL)!), '02');
  assert.equal(hex(a.get(DaemonAttr.MCAST_GROUP)!), 'ef010203');
  assert.equal(a.has(DaemonAttr.MCAST_GROUP6), false);
  const v6 = parseAttrs(
    parseAttrs(encodeDaemon({ state: 'master', mcastInterface: 'e', syncid: 1, mcastGroup: 'ff02::51' })).get(
      CmdAttr.DAEMON,
    )!,
  );
  assert.equal(hex(v6.get(DaemonAttr.MCAST_GROUP6)!), 'ff020000000000000000000000000051');
});

test('DEL_DAEMON names only the state', () => {
  assert.equal(hex(encodeDaemonState('master')), '0c000380' + '0800010001000000');
});

test('an interface name the kernel would refuse is an error before anything is sent', () => {
  assert.throws(() => encodeDaemon({ state: 'master', mcastInterface: '', syncid: 1 }), /interface ''/);
  assert.throws(
    () => encodeDaemon({ state: 'master', mcastInterface: 'a-very-long-ifname', syncid: 1 }),
    /must be 1 to 15 characters/,
  );
});

test('GET_DAEMON replies decode, with the fields kernels >= 4.3 add and without them', () => {
  const u32 = (t: number, v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return attr(t, b);
  };
  const u16 = (t: number, v: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return attr(t, b);
  };
  const full = nest(CmdAttr.DAEMON, [
    u32(DaemonAttr.STATE, 2),
    attr(DaemonAttr.MCAST_IFN, Buffer.from('veth0\0')),
    u32(DaemonAttr.SYNC_ID, 42),
    u16(DaemonAttr.SYNC_MAXLEN, 1472),
    attr(DaemonAttr.MCAST_GROUP, Buffer.of(224, 0, 0, 81)),
    u16(DaemonAttr.MCAST_PORT, 8848),
    attr(DaemonAttr.MCAST_TTL, Buffer.of(1)),
  ]);
  assert.deepEqual(decodeDaemon(full), {
    state: 'backup',
    mcastInterface: 'veth0',
    syncid: 42,
    syncMaxlen: 1472,
    mcastGroup: '224.0.0.81',
    mcastPort: 8848,
    mcastTtl: 1,
  });
  const old = nest(CmdAttr.DAEMON, [
    u32(DaemonAttr.STATE, 1),
    attr(DaemonAttr.MCAST_IFN, Buffer.from('eth0\0')),
    u32(DaemonAttr.SYNC_ID, 0),
  ]);
  assert.deepEqual(decodeDaemon(old), { state: 'master', mcastInterface: 'eth0', syncid: 0 });
  // the round trip of what vigil sends
  const sent = { state: 'master', mcastInterface: 'eth0', syncid: 3, mcastPort: 9000 } as const;
  assert.deepEqual(decodeDaemon(encodeDaemon(sent)), sent);
  assert.throws(
    () => decodeDaemon(nest(CmdAttr.DAEMON, [u32(DaemonAttr.STATE, 9)])),
    /unknown IPVS sync daemon state 9/,
  );
  assert.throws(() => decodeDaemon(Buffer.alloc(0)), /without a daemon/);
});
