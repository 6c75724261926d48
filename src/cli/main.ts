#!/usr/bin/env node
// `vigil` dispatcher: subcommands by name; keepalived's own flags (`-t`, `-f` …) keep working.
// Each command lives in its own module, loaded only when asked for, so `vigil check` never pays
// for the daemon's imports.
import { versionText } from './version.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  adm: {
    summary: 'ipvsadm for the running daemon: the same flags and output (-A -E -D -a -e -d -L -n -S -R -Z …)',
    load: async () => (await import('./adm.js')).runAdm,
  },
  check: {
    summary: 'check a keepalived.conf: FILE:LINE:COL diagnostics and a summary (-f FILE [-f PEER] [--json])',
    load: async () => (await import('./check.js')).runCheck,
  },
  completion: {
    summary:
      'print the bash completion script (vigil completion bash > /usr/share/bash-completion/completions/vigil)',
    load: async () => (await import('./completion.js')).runCompletion,
  },
  demo: {
    summary:
      'show a failover end to end: two directors, two real servers and a client in network namespaces (--mode dr|nat, --keep)',
    load: async () => (await import('./demo.js')).runDemo,
  },
  genhash: {
    summary: 'print the MD5 digest of a page as keepalived genhash does (-s HOST -p PORT -u PATH [-S])',
    load: async () => (await import('./genhash.js')).runGenhash,
  },
  lab: {
    summary:
      'keep a seed-guide cluster running in network namespaces: lab up|status|down NAME (dr, dual-master, nat, proxy)',
    load: async () => (await import('./lab.js')).runLab,
  },
  realserver: {
    summary:
      'set up an LVS real server: VIPs on lo or tunl0, ARP sysctls (--vip ADDR [--mode dr|tun] [--persist] [--check] [--undo])',
    load: async () => (await import('./realserver.js')).runRealserver,
  },
  run: {
    summary:
      "run the daemon in the foreground with keepalived's flags (-f FILE -n -l -D -S FACILITY -G -g FILE -P -C -i -p -r -c -R -V -I -u MASK --signum=SIGFUNC …; --log-json)",
    load: async () => (await import('./run.js')).runDaemon,
  },
  status: {
    summary: 'show the running daemon (VRRP instances, virtual servers, children); --json for the model',
    load: async () => (await import('./status.js')).runStatus,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: vigil COMMAND [ARGS]',
    '',
    'commands:',
    ...lines,
    '',
    "'vigil COMMAND --help' tells more about each.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    console.log(usage());
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version' || first === 'version') {
    console.log(versionText());
    return 0;
  }
  // The bash completion script's question: what may follow these words?
  if (first === '__complete') {
    const { runComplete } = await import('./completion.js');
    return runComplete(rest, Object.keys(COMMANDS));
  }
  // keepalived's spelling of the daemon, `vigil -f FILE -l …`, and of its other modes (`-t` checks
  // the configuration, `-T` is genhash, `--signum`): keepalived's command line, read in run.
  if (first.startsWith('-')) return (await COMMANDS.run!.load())(argv);
  const cmd = COMMANDS[first];
  if (!cmd) {
    console.error(`vigil: unknown command '${first}'`);
    console.error(usage());
    return 2;
  }
  return (await cmd.load())(rest);
}

// Last resort: whatever escapes a command is a bug, reported in one line, never a stack trace
// (VIGIL_DEBUG=1 shows it).
function internalError(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`vigil: internal error: ${msg}`);
  if (process.env.VIGIL_DEBUG && e instanceof Error) console.error(e.stack);
  process.exit(70);
}

process.on('uncaughtException', internalError);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, internalError);
