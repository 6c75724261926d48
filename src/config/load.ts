// keepalived.conf → typed Config: parse, read each top-level block through its schema, validate.
import { readSsl } from './schema/ssl.js';
import type { Diagnostic, Loc, Stmt } from './ast.js';
import type { Config } from './model.js';
import { parseFile, parseText, type ParseOptions, type ParseResult } from './parse.js';
import { applyBlock, type Ctx } from './schema/block.js';
import { defaultGlobalDefs, PROCESS_KEYWORDS, readApi, readGlobalDefs } from './schema/global.js';
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

/** Top-level keywords keepalived accepts outside global_defs that vigil does not act on. */
const ROOT_ACCEPTED = [
  ...PROCESS_KEYWORDS,
  'bfd_instance',
  'static_track_group',
  'track_group',
  'linkbeat_interfaces',
] as const;

function readConfig(parsed: ParseResult): LoadResult {
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const ctx: Ctx = {
    error: (message: string, loc: Loc) => diagnostics.push({ severity: 'error', message, loc }),
    warn: (message: string, loc: Loc) => diagnostics.push({ severity: 'warning', message, loc }),
  };
  const config = emptyConfig();
  config.files = parsed.files;
  applyBlock<Config>(
    {
      name: 'the configuration (top level)',
      accepted: ROOT_ACCEPTED,
      synonyms: {
        vrrp_track_file: 'track_file',
        static_routes: 'static_ipaddress',
        static_rules: 'static_ipaddress',
      },
      keywords: {
        global_defs: (s, c, cx) => readGlobalDefs(s, c.globalDefs, cx),
        api: (s, c, cx) => (c.api = readApi(s, cx)),
        vrrp_script: (s, c, cx) => c.vrrpScripts.push(readVrrpScript(s, cx)),
        track_file: (s, c, cx) => c.trackFiles.push(readTrackFile(s, cx)),
        vrrp_track_process: (s, c, cx) => c.trackProcesses.push(readTrackProcess(s, cx)),
        vrrp_sync_group: (s, c, cx) => c.syncGroups.push(readSyncGroup(s, cx)),
        garp_group: (s, c, cx) => c.garpGroups.push(readGarpGroup(s, cx)),
        vrrp_instance: (s, c, cx) => c.vrrpInstances.push(readInstance(s, cx)),
        static_ipaddress: (s: Stmt, c, cx) => readStatic(s, c.staticAddresses, cx),
        virtual_server_group: (s, c, cx) => c.virtualServerGroups.push(readVirtualServerGroup(s, cx)),
        SSL: (s, c, cx) => (c.ssl = readSsl(s, c.ssl, cx)),
        virtual_server: (s, c, cx) => {
          const v = readVirtualServer(s, cx);
          if (v) c.virtualServers.push(v);
        },
      },
    },
    parsed.stmts,
    config,
    ctx,
  );
  validate(config, ctx);
  return { config, diagnostics };
}

export function loadConfig(path: string, opts: ParseOptions = {}): LoadResult {
  return readConfig(parseFile(path, opts));
}

export function loadConfigText(text: string, file: string, opts: ParseOptions = {}): LoadResult {
  return readConfig(parseText(text, file, opts));
}
