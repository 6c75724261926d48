// `vigil completion bash` prints a bash completion script; on each TAB the script asks
// `vigil __complete WORDS…` for the candidates. Flags come from each command's own --help text,
// so completion never drifts from what the commands take; `-o default` falls back to file names
// (for -f FILE and the like).
import { spawnSync } from 'node:child_process';

const SCRIPT = `# bash completion for vigil (from \`vigil completion bash\`)
_vigil() {
  local cur=\${COMP_WORDS[COMP_CWORD]} IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(vigil __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)" -- "$cur"))
}
complete -o default -o bashdefault -F _vigil vigil
`;

/** Words after a command that are not flags: subcommands and names. */
const POSITIONAL: Record<string, (before: string[]) => string[]> = {
  lab: (before) => (before.length === 0 ? ['up', 'status', 'down'] : ['dr', 'dual-master', 'nat', 'proxy']),
  completion: (before) => (before.length === 0 ? ['bash'] : []),
};

/** Every flag a help text names: `--long`, `-x`, and ipvsadm's `-A|E` pairs (-A and -E). */
export function flagsOf(help: string): string[] {
  const out = new Set<string>();
  for (const m of help.matchAll(/(?<![\w-])(--[a-z][\w-]*|-[A-Za-z](?:\|[A-Za-z])*)(?![\w-])/g)) {
    const f = m[1]!;
    if (f.startsWith('--')) out.add(f);
    else for (const c of f.slice(1).split('|')) out.add(`-${c}`);
  }
  return [...out].sort();
}

/** Candidates for the word after `words` (the words typed so far, command first). */
export function candidates(words: string[], commands: string[], helpOf: (cmd: string) => string): string[] {
  const [cmd, ...rest] = words;
  if (cmd === undefined) return [...commands, '-f', '-t', '--version', '--help'];
  if (!commands.includes(cmd)) return [];
  return [...(POSITIONAL[cmd]?.(rest.filter((w) => !w.startsWith('-'))) ?? []), ...flagsOf(helpOf(cmd))];
}

/** A command's --help text, from this very program. */
function helpText(cmd: string): string {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, cmd, '--help'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
}

export function runCompletion(argv: string[]): Promise<number> {
  if (argv[0] === 'bash') {
    process.stdout.write(SCRIPT);
    return Promise.resolve(0);
  }
  console.error(
    'usage: vigil completion bash\n  prints the bash completion script: vigil completion bash > /usr/share/bash-completion/completions/vigil',
  );
  return Promise.resolve(argv[0] === '-h' || argv[0] === '--help' ? 0 : 2);
}

export function runComplete(words: string[], commands: string[]): Promise<number> {
  console.log(candidates(words, commands, helpText).join('\n'));
  return Promise.resolve(0);
}
