// conntrack_sync: the nft engine's NAT lives in the kernel's conntrack table, so a new master
// only keeps the old one's connections if it has their entries (with their NAT bindings). Debian's
// conntrackd replicates them: in FTFW mode every director sends its own entries to the others,
// which hold them in an "external cache"; the VRRP transition decides what happens to it, as
// conntrackd's doc/sync/primary-backup.sh does for keepalived's notify scripts. This module is the
// pure part: the conntrackd.conf vigil writes, the commands for each VRRP state, and the driver
// that runs them in order. The process itself is src/lvs/conntrackd.ts.
import type { ConntrackSync } from '../config/model.js';

/** conntrackd's example FTFW values: multicast group and port. */
export const CONNTRACKD_GROUP = '225.0.0.50';
export const CONNTRACKD_PORT = 3780;

export interface ConntrackdFiles {
  /** The UNIX socket the `conntrackd -C conf -c/-f/…` clients talk to. */
  socket: string;
  lockFile: string;
}

/** conntrackd's lexer reads a path as one bare token: no spaces, quotes or braces. */
export function conntrackdPathProblem(path: string): string | null {
  if (!/^\/[A-Za-z0-9._/+-]+$/.test(path))
    return `conntrackd cannot read the path '${path}' (letters, digits and ./_+- only)`;
  // sockaddr_un.sun_path holds 108 bytes with its NUL.
  if (path.length > 107) return `the path '${path}' is too long for a UNIX socket (107 bytes at most)`;
  return null;
}

/**
 * conntrackd.conf for one director. `local` is this director's IPv4 address on the sync
 * interface: the multicast source (conntrackd needs it by address) and an address whose own
 * connections are not replicated (nor are loopback's).
 */
export function conntrackdConf(cfg: ConntrackSync, local: string, files: ConntrackdFiles): string {
  const port = cfg.port ?? CONNTRACKD_PORT;
  const channel = cfg.peer
    ? [
        '\tUDP {',
        `\t\tIPv4_address ${local}`,
        `\t\tIPv4_Destination_Address ${cfg.peer}`,
        `\t\tPort ${port}`,
        `\t\tInterface ${cfg.interface}`,
      ]
    : [
        '\tMulticast {',
        `\t\tIPv4_address ${cfg.group ?? CONNTRACKD_GROUP}`,
        `\t\tGroup ${port}`,
        `\t\tIPv4_interface ${local}`,
        `\t\tInterface ${cfg.interface}`,
      ];
  return [
    `# Written by vigil for 'conntrack_sync ${cfg.interface} ${cfg.instance}'; rewritten at every start.`,
    'Sync {',
    // FTFW: acknowledged, resent on loss; entries from the peer wait in the external cache until
    // this director becomes master and commits them (DisableExternalCache Off, the default).
    '\tMode FTFW {',
    '\t\tDisableExternalCache Off',
    '\t}',
    ...channel,
    '\t\tSndSocketBuffer 1249280',
    '\t\tRcvSocketBuffer 1249280',
    '\t\tChecksum on',
    '\t}',
    '}',
    'General {',
    '\tHashSize 32768',
    '\tHashLimit 131072',
    // In the foreground conntrackd prints its log on stdout, which vigil reads into its own log.
    '\tLogFile off',
    '\tSyslog off',
    `\tLockFile ${files.lockFile}`,
    '\tUNIX {',
    `\t\tPath ${files.socket}`,
    '\t}',
    '\tNetlinkBufferSize 2097152',
    '\tNetlinkBufferSizeMaxGrowth 8388608',
    '\tFilter From Userspace {',
    '\t\tProtocol Accept {',
    '\t\t\tTCP',
    '\t\t\tSCTP',
    '\t\t\tUDP',
    '\t\t}',
    '\t\tAddress Ignore {',
    '\t\t\tIPv4_address 127.0.0.1',
    '\t\t\tIPv6_address ::1',
    `\t\t\tIPv4_address ${local}`,
    '\t\t}',
    '\t}',
    '}',
    '',
  ].join('\n');
}

/**
 * The conntrackd commands for entering a VRRP state, in primary-backup.sh's order.
 * MASTER: commit the peer's entries into the kernel (-c), flush both caches (-f), refill the
 * internal cache from the kernel (-R) and send it all to the backups (-B).
 * BACKUP: age out the kernel entries this node made while it was master (-t) and ask the master
 * for a full copy (-n). FAULT: only -t. INIT and STOP need nothing.
 */
export function transitionCommands(vrrpState: string): string[][] {
  if (vrrpState === 'MASTER') return [['-c'], ['-f'], ['-R'], ['-B']];
  if (vrrpState === 'BACKUP') return [['-t'], ['-n']];
  if (vrrpState === 'FAULT') return [['-t']];
  return [];
}

/** The conntrackd process and its command-line client (src/lvs/conntrackd.ts). */
export interface Conntrackd {
  /** Starts the daemon and resolves once it answers on its socket. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `conntrackd -C conf ARGS`; rejects with conntrackd's own words on failure. */
  command(args: string[]): Promise<void>;
  /** Whether the daemon process is up (a crashed one waits for its restart). */
  running(): boolean;
}

export interface ConntrackSyncLog {
  info(m: string): void;
  error(m: string): void;
}

/**
 * Runs each transition's commands in order, one transition after another (a transition that
 * comes while the previous one runs waits for it). A failing command is logged and the others
 * still run, as the script does: a flush that fails must not keep the bulk send from going out.
 */
export class ConntrackSyncDriver {
  private queue: Promise<void>;
  private state: string | null = null;

  constructor(
    readonly instance: string,
    private readonly daemon: Conntrackd,
    private readonly log: ConntrackSyncLog,
  ) {
    this.queue = this.daemon.start().catch((e: unknown) => {
      this.log.error(`conntrack_sync: conntrackd did not start: ${(e as Error).message}`);
    });
  }

  follow(vrrpState: string): Promise<void> {
    const steps = transitionCommands(vrrpState);
    if (!steps.length) return this.queue;
    this.state = vrrpState;
    const run = async (): Promise<void> => {
      if (!this.daemon.running()) {
        // One line, not one per command: the restart runs this state's steps again (resume).
        this.log.error(
          `conntrack_sync: ${this.instance} ${vrrpState}: conntrackd is not running; its steps wait for its restart`,
        );
        return;
      }
      const failed: string[] = [];
      for (const args of steps) {
        try {
          await this.daemon.command(args);
        } catch (e) {
          failed.push(`conntrackd ${args.join(' ')}: ${(e as Error).message}`);
        }
      }
      for (const f of failed) this.log.error(`conntrack_sync: ${f}`);
      this.log.info(
        `conntrack_sync: ${this.instance} ${vrrpState}: conntrackd ${steps.map((a) => a.join(' ')).join(', ')}${failed.length ? ` (${failed.length} failed)` : ''}`,
      );
    };
    const next = this.queue.then(run);
    this.queue = next;
    return next;
  }

  /**
   * A restarted conntrackd has empty caches: it redoes the current state's steps (a backup asks
   * the master for everything again; a master commits, resyncs and sends its table).
   */
  resume(): Promise<void> {
    return this.state ? this.follow(this.state) : this.queue;
  }

  /** Shutdown or conntrack_sync removed: after the pending transitions, conntrackd ends. */
  stop(): Promise<void> {
    const next = this.queue.then(() => this.daemon.stop());
    this.queue = next.catch(() => undefined);
    return next;
  }
}
