// keepalived.conf → typed Config: parse, read each top-level block through its schema, validate.
import { readSsl } from './schema/ssl.js';
import type { Diagnostic, Loc } from './ast.js';
import type { Config } from './model.js';
import { parseFile, parseText, type ParseOptions, type ParseResult } from './parse.js';
import { applyBlock, type BlockSpec, type Ctx } from './schema/block.js';
import {
  defaultGlobalDefs,
  PROCESS_KEYWORDS,
  readApi,
  readGlobalDefs,
  recordProcessNames,
} from './schema/global.js';
import { readVirtualServer, readVirtualServerGroup } from './schema/lvs.js';
import {
  readGarpGroup,
  readInstance,
  readStatic,
  readSyncGroup,
  readTrackFile,
  readTrackProcess,
  readVrrpScript,
} from './schema/vrrp.js';
import { validate } from './validate.js';

export interface LoadResult {
  config: Config;
  diagnostics: Diagnostic[];
}

export function emptyConfig(): Config {
  return {
    files: [],
    globalDefs: defaultGlobalDefs(),
    vrrpScripts: [],
    trackFiles: [],
    trackProcesses: [],
    syncGroups: [],
    garpGroups: [],
    vrrpInstances: [],
    staticAddresses: { addresses: [], routes: [], rules: [] },
    virtualServerGroups: [],
    virtualServers: [],
  };
}

/** Top-level keywords keepalived has that vigil does not act on → what will not happen. */
const ROOT_UNIMPLEMENTED: Record<string, string> = {
  ...PROCESS_KEYWORDS,
  bfd_instance: 'BFD is not implemented: no BFD session runs',
  track_group: 'track groups are not implemented: no interface is tracked through them',
  static_track_group: 'track groups are not implemented: no interface is tracked through them',
  linkbeat_interfaces: 'link state is followed through netlink only, never polled',
  interface_up_down_delays: 'interfaces going up or down are acted on at once, without these delays',
};

export const ROOT_SPEC: BlockSpec<Config> = {
  name: 'the configuration (top level)',
  unimplemented: ROOT_UNIMPLEMENTED,
  synonyms: { static_routes: 'static_ipaddress', static_rules: 'static_ipaddress' },
  keywords: {
    global_defs: (s, c, cx) => readGlobalDefs(s, c.globalDefs, cx),
    api: (s, c, cx) => (c.api = readApi(s, cx)),
    vrrp_script: (s, c, cx) => c.vrrpScripts.push(readVrrpScript(s, cx)),
    track_file: (s, c, cx) => c.trackFiles.push(readTrackFile(s, cx)),
    vrrp_track_file: (s, c, cx) => {
      cx.warn('"vrrp_track_file" is deprecated, please use "track_file"', s.keyword.loc);
      c.trackFiles.push(readTrackFile(s, cx));
    },
    vrrp_track_process: (s, c, cx) => c.trackProcesses.push(readTrackProcess(s, cx)),
    vrrp_sync_group: (s, c, cx) => c.syncGroups.push(readSyncGroup(s, cx)),
    garp_group: (s, c, cx) => c.garpGroups.push(readGarpGroup(s, cx)),
    vrrp_instance: (s, c, cx) => c.vrrpInstances.push(readInstance(s, cx)),
    static_ipaddress: (s, c, cx) => readStatic(s, c.staticAddresses, cx),
    virtual_server_group: (s, c, cx) => c.virtualServerGroups.push(readVirtualServerGroup(s, cx)),
    SSL: (s, c, cx) => (c.ssl = readSsl(s, c.ssl, cx)),
    virtual_server: (s, c, cx) => {
      const v = readVirtualServer(s, cx);
      if (v) c.virtualServers.push(v);
    },
  },
};

function readConfig(parsed: ParseResult): LoadResult {
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const ctx: Ctx = {
    error: (message: string, loc: Loc) => diagnostics.push({ severity: 'error', message, loc }),
    warn: (message: string, loc: Loc) => diagnostics.push({ severity: 'warning', message, loc }),
  };
  const config = emptyConfig();
  config.files = parsed.files;
  applyBlock<Config>(ROOT_SPEC, parsed.stmts, config, ctx);
  recordProcessNames(parsed.stmts, config.globalDefs);
  validate(config, ctx);
  return { config, diagnostics };
}

export function loadConfig(path: string, opts: ParseOptions = {}): LoadResult {
  return readConfig(parseFile(path, opts));
}

export function loadConfigText(text: string, file: string, opts: ParseOptions = {}): LoadResult {
  return readConfig(parseText(text, file, opts));
}
