// The daemon's side of `vigil adm`: one parsed ipvsadm command against the running engine (through
// an AdmBackend the daemon wires to its planner and engine), answered with what ipvsadm would print
// and its exit status. Wiring, in the daemon's control handler:
//
//   if (req.cmd === 'adm') {
//     const r = checkAdmRequest(req.args);            // validate the JSON first
//     if ('error' in r) throw new Error(r.error);
//     return handleAdm(r.command, backend);           // -> { output, exitCode }
//   }
//
// with backend.read() = what is programmed (engine.read()), backend.apply(changes) = record them as
// runtime changes in the planner's desired state and apply them to the engine (so a reload keeps
// them), stats/zero from a CounterBaseline over engine.stats(), and the engine's timeouts,
// connection table and sync daemons where it has them.
import type { Change, ServiceKey, ServiceStats } from '../dataplane/engine.js';
import { serviceId } from '../dataplane/keys.js';
import type { AdmCommand } from './args.js';
import {
  formatConnections,
  formatDaemons,
  formatList,
  formatListService,
  formatSave,
  formatTimeout,
  type AdmStats,
} from './format.js';
import { systemNames, type AdmNames } from './names.js';
import { applyAdm, KERNEL_ERROR_EXIT } from './table.js';
import type { AdmConnection, AdmTable, SyncDaemonSpec, Timeouts } from './types.js';

export interface AdmBackend {
  /** The programmed table (engine.read(), or the planner's view of it). */
  read(): Promise<AdmTable>;
  /** Applies the changes (through the planner's runtime layer); rejects with a message on failure. */
  apply(changes: Change[]): Promise<void>;
  /** Per service and server figures (engine.stats()); rates and persistConns optional. */
  stats?(): Promise<ServiceStats[] | AdmStats[]>;
  /** Resets the counters of one service or all (ipvsadm -Z); CounterBaseline does it for any engine. */
  zero?(key?: ServiceKey): Promise<void>;
  /** The connection table (ipvsadm -Lc). */
  connections?(): Promise<AdmConnection[]>;
  getTimeouts?(): Timeouts | Promise<Timeouts>;
  /** 0 keeps a value, as IPVS does. */
  setTimeouts?(t: Timeouts): void | Promise<void>;
  /** Connection synchronisation daemons (ipvsadm --start-daemon / --stop-daemon / -L --daemon). */
  syncDaemons?: {
    list(): Promise<SyncDaemonSpec[]>;
    start(d: SyncDaemonSpec): Promise<void>;
    stop(state: 'master' | 'backup'): Promise<void>;
  };
}

export interface AdmReply {
  /** What ipvsadm prints (stdout when exitCode is 0, stderr otherwise). */
  output: string;
  exitCode: number;
}

/** IPVS's defaults, shown when the engine has no timeouts of its own. */
export const DEFAULT_TIMEOUTS: Timeouts = { tcp: 900, tcpfin: 120, udp: 300 };

const ok = (output = ''): AdmReply => ({ output, exitCode: 0 });
const kernelError = (message: string): AdmReply => ({ output: message + '\n', exitCode: KERNEL_ERROR_EXIT });
const unsupported = (what: string): AdmReply => ({
  output: `vigil: the running engine does not support ${what}\n`,
  exitCode: 1,
});

export async function handleAdm(
  cmd: AdmCommand,
  backend: AdmBackend,
  names: AdmNames = systemNames(),
): Promise<AdmReply> {
  switch (cmd.cmd) {
    case 'help':
    case 'version':
      return ok();
    case 'list': {
      if (cmd.view === 'timeout')
        return ok(formatTimeout((await backend.getTimeouts?.()) ?? DEFAULT_TIMEOUTS));
      if (cmd.view === 'daemon') return ok(formatDaemons((await backend.syncDaemons?.list()) ?? []));
      if (cmd.view === 'connections') {
        if (!backend.connections) return unsupported('listing its connection table');
        return ok(formatConnections(await backend.connections(), cmd.format, names));
      }
      const input = {
        table: await backend.read(),
        stats: (await backend.stats?.()) as AdmStats[] | undefined,
        names,
      };
      if (!cmd.key) return ok(formatList(input, cmd.format));
      const out = formatListService(input, cmd.key, cmd.format);
      return out === undefined ? { output: 'No such service\n', exitCode: 1 } : ok(out);
    }
    case 'save':
      return ok(formatSave({ table: await backend.read(), names }, cmd.numeric));
    case 'zero': {
      if (cmd.key) {
        const id = serviceId(cmd.key);
        if (!(await backend.read()).some((s) => serviceId(s.key) === id))
          return kernelError('No such service');
      }
      if (!backend.zero) return unsupported('zeroing counters');
      await backend.zero(cmd.key);
      return ok();
    }
    case 'set-timeout':
      if (!backend.setTimeouts) return unsupported('connection timeouts');
      await backend.setTimeouts({ tcp: cmd.tcp, tcpfin: cmd.tcpfin, udp: cmd.udp });
      return ok();
    case 'start-daemon':
    case 'stop-daemon': {
      const sync = backend.syncDaemons;
      if (!sync) return unsupported('connection synchronisation');
      const running = (await sync.list()).some(
        (d) => d.state === (cmd.cmd === 'start-daemon' ? cmd.daemon.state : cmd.state),
      );
      if (cmd.cmd === 'start-daemon') {
        if (running) return kernelError('Daemon has already run');
        await sync.start(cmd.daemon);
      } else {
        if (!running) return kernelError('No daemon is running');
        await sync.stop(cmd.state);
      }
      return ok();
    }
    default: {
      const table = await backend.read();
      const r = applyAdm(table, cmd);
      if ('error' in r) return { output: r.error + '\n', exitCode: r.exitCode };
      if (r.changes.length === 0) return ok();
      try {
        await backend.apply(r.changes);
      } catch (e) {
        return kernelError(e instanceof Error ? e.message : String(e));
      }
      return ok();
    }
  }
}
