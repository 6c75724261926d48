// `vigil check -f FILE [-f PEER …] [-i CONFIG_ID] [--json]` (keepalived's `-t -f FILE` too):
// diagnostics on stderr as FILE:LINE:COL: severity: message, a summary on stdout, exit 0 when the
// configuration would run (warnings allowed), 1 when it has errors, 2 for bad usage.
import { formatDiagnostic, type Diagnostic, type Loc } from '../config/ast.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { summarize } from './summary.js';
import { checkTrackWeights } from '../config/validate.js';
import { systemScriptDeps } from '../scripts/fs.js';
import { secureScripts } from '../scripts/secure-config.js';
import { chooseEngine, probeMachine, type EngineName } from '../dataplane/choose.js';
import type { Forwarding } from '../dataplane/engine.js';
import { describeApproximation } from '../dataplane/nft/ruleset.js';
import { approximation } from '../dataplane/proxy/engine.js';
import type { VirtualServer } from '../config/model.js';
import { serviceKeys } from '../lvs/desired.js';
import { directorKernelIssues, forwardingKinds, unprogrammable } from '../lvs/kernel-needs.js';
import { drInterfaceIssues } from '../lvs/dr-needs.js';
import { syncMismatches } from '../lvs/sync-engine.js';
import { readKernelView } from '../lvs/kernel-view.js';

const USAGE = `usage: vigil check -f FILE [-f PEER_FILE …] [-i CONFIG_ID] [--json]
  -f, --use-file FILE   the configuration to check (default /etc/keepalived/keepalived.conf);
                        more -f files are peers' configurations, compared for failover mistakes
  -i, --config-id ID    the id @ID lines are kept for (default: the short host name)
  --json                print the resolved model as JSON instead of the summary
  -t, --config-test     accepted for keepalived compatibility (checking is what this does)`;

interface CheckArgs {
  files: string[];
  configId?: string;
  json: boolean;
}

function parseArgs(argv: string[]): CheckArgs | string {
  const a: CheckArgs = { files: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] =
      arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '-f' || flag === '--use-file') {
      const v = value();
      if (v === undefined) return `${flag} needs a file name`;
      a.files.push(v);
    } else if (flag === '-i' || flag === '--config-id') {
      const v = value();
      if (v === undefined) return `${flag} needs an id`;
      a.configId = v;
    } else if (flag === '--json') a.json = true;
    else if (flag === '-t' || flag === '--config-test') continue;
    else if (/^-f./.test(arg)) a.files.push(arg.slice(2));
    else return `unknown option '${arg}'`;
  }
  if (a.files.length === 0) a.files.push('/etc/keepalived/keepalived.conf');
  return a;
}

function byPlace(order: string[]): (x: Diagnostic, y: Diagnostic) => number {
  const rank = (l: Loc): number => {
    const i = order.indexOf(l.file);
    return i < 0 ? order.length : i;
  };
  return (x, y) => rank(x.loc) - rank(y.loc) || x.loc.line - y.loc.line || x.loc.col - y.loc.col;
}

const FORWARDING: Record<string, Forwarding> = { NAT: 'nat', DR: 'dr', TUN: 'tun', FULLNAT: 'fullnat' };

/** Where the engine that will run only approximates what the configuration asks (said honestly). */
function approximations(
  engine: EngineName,
  vs: VirtualServer,
  c: Parameters<typeof serviceKeys>[1],
): string[] {
  if (engine === 'ipvs') return [];
  const kinds = new Set(forwardingKinds(vs));
  const notes = new Set<string>();
  for (const kind of kinds) {
    const fwd = FORWARDING[kind] ?? 'nat';
    if (engine === 'nft') {
      const n = describeApproximation(vs.lbAlgo, fwd);
      if (n) notes.add(n);
    } else {
      for (const key of serviceKeys(vs, c)) {
        const n = approximation(
          { key, scheduler: vs.lbAlgo, flags: {} },
          { address: '', port: 0, forwarding: fwd, weight: 1, upperThreshold: 0, lowerThreshold: 0 },
        );
        if (n) notes.add(n.replace(/ to :0/, ''));
      }
    }
  }
  return [...notes];
}

/** `err` takes the lines meant for stderr (keepalived's `-t LOG_FILE` sends them to a file). */
export async function runCheck(argv: string[], err: (line: string) => void = console.error): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    err(`vigil check: ${args}\n${USAGE}`);
    return 2;
  }
  const results: LoadResult[] = args.files.map((f) => loadConfig(f, { configId: args.configId }));
  const diagnostics = results.flatMap((r) => r.diagnostics);
  if (results.length > 1) {
    // Peers: a track weight too small to move the VIP is only visible across the files.
    const cross: Diagnostic[] = [];
    checkTrackWeights(
      results.flatMap((r) => r.config.vrrpInstances.map((v) => ({ v, config: r.config }))),
      {
        error: (message, loc) => cross.push({ severity: 'error', message, loc }),
        warn: (message, loc) => cross.push({ severity: 'warning', message, loc }),
      },
    );
    const known = new Set(diagnostics.map(formatDiagnostic));
    diagnostics.push(...cross.filter((d) => !known.has(formatDiagnostic(d))));
  }
  // What each vigil process says at start about its scripts (users, paths, security), read on this
  // machine as keepalived -t does; only for a configuration that would run.
  const deps = systemScriptDeps();
  for (const r of results) {
    if (r.diagnostics.some((d) => d.severity === 'error')) continue;
    for (const part of ['parent', 'vrrp', 'checker'] as const)
      diagnostics.push(...secureScripts(r.config, part, deps));
  }
  const first = results[0]!.config;
  const probes = probeMachine();
  const engine = chooseEngine(first.globalDefs.lvsEngine, probes);
  const chosen = results.map((r) => chooseEngine(r.config.globalDefs.lvsEngine, probes).engine);
  // This machine's kernel settings, read only when some virtual server could depend on them.
  const view = results.some((r) => r.config.virtualServers.length)
    ? await readKernelView({ ruleset: chosen.includes('ipvs') })
    : null;
  for (const [i, r] of results.entries()) {
    const used = chosen[i]!;
    const machine = [
      ...syncMismatches(r.config.globalDefs, used),
      ...(view ? directorKernelIssues(r.config, used, view) : []),
    ];
    for (const m of machine) diagnostics.push({ severity: 'warning', message: m.message, loc: m.loc });
    for (const m of unprogrammable(r.config, used))
      diagnostics.push({ severity: 'error', message: m.message, loc: m.loc });
  }
  // Routes are this machine's: only the first file is this director's configuration.
  for (const m of await drInterfaceIssues(first, chosen[0]!))
    diagnostics.push({ severity: 'error', message: m.message, loc: m.loc });
  const order = results.flatMap((r) => r.config.files);
  for (const d of [...diagnostics].sort(byPlace(order))) err(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (args.json) {
    console.log(JSON.stringify(first, null, 2));
  } else {
    for (const r of results) {
      const approx = (vs: VirtualServer): string[] => approximations(engine.engine, vs, r.config);
      console.log(summarize(r.config, r.config.virtualServers.length ? engine : undefined, approx));
    }
    console.log(
      errors
        ? `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}: vigil would not run this configuration`
        : `configuration OK${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`,
    );
  }
  return errors ? 1 : 0;
}
