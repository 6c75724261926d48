// What `vigil adm` keeps beyond the engine contract: ipvsadm's persistence engine name, the third
// scheduler flag and the tunnel checksum mode. Engines that do not know them pass them through.
import type {
  ConnEntry,
  DestSpec,
  ServiceKey,
  ServiceSpec,
  ServiceState,
  SyncDaemonSpec,
} from '../dataplane/engine.js';

export interface AdmService extends ServiceSpec {
  /** Persistence engine (ipvsadm --pe), e.g. "sip". */
  pe?: string;
  flags: ServiceSpec['flags'] & { flag3?: boolean };
}

export interface AdmDest extends DestSpec {
  /** GUE/GRE checksum mode (--tun-nocsum, --tun-csum, --tun-remcsum). */
  tunnelFlags?: 'nocsum' | 'csum' | 'remcsum';
}

export interface AdmServiceState extends AdmService {
  dests: AdmDest[];
}

export type AdmTable = (ServiceState | AdmServiceState)[];

export interface Timeouts {
  tcp: number;
  tcpfin: number;
  udp: number;
}

/** One entry of the connection table (ipvsadm -Lc), with ipvsadm's persistence-engine columns. */
export interface AdmConnection extends ConnEntry {
  peName?: string;
  peData?: string;
}

export type { ServiceKey, SyncDaemonSpec };
