// Brings a scenario (scenarios.ts) to life in a namespace lab: real servers set up with
// `vigil realserver` and running a small web service, two real `vigil run` directors, and a
// client probe. Shared by `vigil demo` (torn down on exit) and `vigil lab up` (left running).
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { controlRequest, controlSocketPath } from '../daemon/control.js';
import { createLab, type Lab } from './lab.js';
import { DIRECTORS, type DirectorNode, type LabService, type Scenario } from './scenarios.js';
import { until } from './until.js';

/** argv that runs this same vigil (dist/ under npx, src/ under tsx in tests). */
export function vigilArgv(...args: string[]): string[] {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const main = fileURLToPath(new URL(`../cli/main${ext}`, import.meta.url));
  return [process.execPath, ...process.execArgv, main, ...args];
}

// Answers with the server's name: HTTP on the web ports, a one-line greeting elsewhere (db).
const SERVER = (name: string, http: number[], tcp: number[]): string =>
  `const net=require('node:net'),http=require('node:http');
for(const p of ${JSON.stringify(http)})http.createServer((q,r)=>r.end('${name}\\n')).listen(p);
for(const p of ${JSON.stringify(tcp)})net.createServer((s)=>{s.on('error',()=>{});s.end('${name}\\n')}).listen(p);`;

// One HTTP request to VIP:PORT every 10 ms (100 ms timeout each); prints "TIME NAME" per answer
// and "TIME -" per failure, TIME in ms since the epoch (sub-ms precision).
const PROBE = (vip: string, port: number): string =>
  `const http=require('node:http');const {performance:p}=require('node:perf_hooks');
const now=()=>(p.timeOrigin+p.now()).toFixed(2);
setInterval(()=>{let done=false;const fin=(w)=>{if(!done){done=true;process.stdout.write(now()+' '+w+'\\n')}};
const q=http.get({host:'${vip}',port:${port},path:'/',agent:false,timeout:100},(r)=>{let b='';
r.on('data',(d)=>b+=d);r.on('end',()=>fin(b.trim()||'-'))});
q.on('timeout',()=>{q.destroy();fin('-')});q.on('error',()=>fin('-'))},10)`;

// One request to VIP:PORT; prints who answered, exits 1 without an answer within 1 s.
const ASK = (s: LabService): string =>
  s.kind === 'http'
    ? `require('node:http').get({host:'${s.vip}',port:${s.port},path:'/',agent:false,timeout:1000},(r)=>{let b='';
r.on('data',(d)=>b+=d);r.on('end',()=>{console.log(b.trim());process.exit(0)})}).on('timeout',()=>process.exit(1)).on('error',()=>process.exit(1))`
    : `const s=require('node:net').connect({host:'${s.vip}',port:${s.port}});let b='';s.setTimeout(1000,()=>process.exit(1));
s.on('data',(d)=>b+=d);s.on('end',()=>{console.log(b.trim());process.exit(0)});s.on('error',()=>process.exit(1))`;

/** Who answers one client request to the service through its VIP (null: nobody). */
export async function askOnce(lab: Lab, s: LabService): Promise<string | null> {
  const r = await lab.exec('client', [process.execPath, '-e', ASK(s)], {
    allowFailure: true,
    timeoutMs: 5000,
  });
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export interface Director {
  node: DirectorNode;
  /** Holds vigil.conf, the runtime dir (control socket) and vigil.log. */
  dir: string;
  conf: string;
  log: string;
  child?: ChildProcess;
  pid?: number;
}

export interface Stage {
  lab: Lab;
  scenario: Scenario;
  directors: Record<DirectorNode, Director>;
}

export interface StageOptions {
  /** Where configs, logs and runtime dirs go. */
  dir: string;
  /** Leave everything running when this process exits (`vigil lab up`). */
  keep?: boolean;
}

/** Builds the lab, the real servers and both directors (started). */
export async function stageScenario(sc: Scenario, o: StageOptions): Promise<Stage> {
  const lab = await createLab(sc.spec, { keep: o.keep });
  try {
    for (const rs of sc.realServers) {
      if (rs.drVips.length) {
        const args = rs.drVips.flatMap((v) => ['--vip', v]);
        // --root keeps each server's undo record apart (and off the host's /var/lib).
        await lab.exec(rs.node, vigilArgv('realserver', ...args, '--root', join(o.dir, rs.node)));
      }
      const http = sc.services.filter((s) => s.kind === 'http').map((s) => s.port);
      const tcp = sc.services.filter((s) => s.kind === 'tcp').map((s) => s.port);
      const server = lab.spawn(rs.node, [process.execPath, '-e', SERVER(rs.node, http, tcp)], {
        stdio: 'ignore',
      });
      if (o.keep) server.unref();
    }
    const directors = {} as Record<DirectorNode, Director>;
    for (const node of DIRECTORS) {
      const dir = join(o.dir, node);
      mkdirSync(dir, { recursive: true });
      const d: Director = { node, dir, conf: join(dir, 'keepalived.conf'), log: join(dir, 'vigil.log') };
      writeFileSync(d.conf, sc.configs[node]);
      directors[node] = d;
      startDirector(lab, d);
      if (o.keep) d.child?.unref();
    }
    return { lab, scenario: sc, directors };
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}

/** Starts (or restarts) `vigil run` in the director's namespace, logging to its vigil.log. */
export function startDirector(lab: Lab, d: Director): void {
  const fd = openSync(d.log, 'a');
  try {
    const argv = vigilArgv('run', '-f', d.conf, '--runtime-dir', join(d.dir, 'run'), '-l');
    d.child = lab.spawn(d.node, argv, { stdio: ['ignore', fd, fd] });
    d.pid = d.child.pid;
  } finally {
    closeSync(fd);
  }
}

export interface InstanceState {
  name: string;
  state: string;
  priority: number;
}

/** The director's VRRP instances via its control socket; null while it is not answering. */
export async function vrrpStates(
  d: Pick<Director, 'dir'>,
  timeoutMs = 1000,
): Promise<InstanceState[] | null> {
  try {
    const s = (await controlRequest(controlSocketPath(join(d.dir, 'run')), { cmd: 'status' }, timeoutMs)) as {
      children?: {
        vrrp?: { status?: { instances?: { name: string; state: string; effectivePriority: number }[] } };
      };
    };
    const list = s.children?.vrrp?.status?.instances;
    if (!list) return null;
    return list.map((i) => ({ name: i.name, state: i.state, priority: i.effectivePriority }));
  } catch {
    return null;
  }
}

/** The data plane the director's checker runs and why (e.g. "nft (auto: no IPVS …)"). */
export async function engineOf(d: Pick<Director, 'dir'>): Promise<string | null> {
  try {
    const s = (await controlRequest(controlSocketPath(join(d.dir, 'run')), { cmd: 'status' }, 1000)) as {
      children?: { checker?: { status?: { engine?: string; why?: string } } };
    };
    const c = s.children?.checker?.status;
    return c?.engine ? `${c.engine}${c.why ? ` (${c.why})` : ''}` : null;
  } catch {
    return null;
  }
}

/** The director that is MASTER of `instance` now (null: none, e.g. during a takeover). */
export async function masterOf(stage: Stage, instance: string): Promise<DirectorNode | null> {
  for (const node of DIRECTORS) {
    const states = await vrrpStates(stage.directors[node], 500);
    if (states?.find((i) => i.name === instance)?.state === 'MASTER') return node;
  }
  return null;
}

/** Waits until `node` is MASTER of `instance` and the other director BACKUP. */
export async function settled(
  stage: Stage,
  instance: string,
  node: DirectorNode,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  await until(
    `${node} MASTER of ${instance}`,
    async () => {
      for (const d of DIRECTORS) {
        const st = (await vrrpStates(stage.directors[d], 500))?.find((i) => i.name === instance)?.state;
        if (st !== (d === node ? 'MASTER' : 'BACKUP')) return null;
      }
      return true;
    },
    timeoutMs,
    { signal },
  );
}

export interface Probe {
  child: ChildProcess;
  /** Every answer so far: time (ms since the epoch) and who answered ('-': no answer). */
  samples: { at: number; who: string }[];
}

/** Starts the client's probe of a service through its VIP. */
export function startProbe(lab: Lab, s: LabService): Probe {
  const child = lab.spawn('client', [process.execPath, '-e', PROBE(s.vip, s.port)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const samples: Probe['samples'] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const [at, who] = l.split(' ');
    if (at && who) samples.push({ at: Number(at), who });
  });
  return { child, samples };
}
