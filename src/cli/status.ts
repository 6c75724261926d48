// `vigil status [--json] [--runtime-dir DIR]`: asks the running daemon over its control socket.
import { controlRequest, controlSocketPath } from '../daemon/control.js';
import { DEFAULT_RUNTIME_DIR } from '../daemon/options.js';

const USAGE = 'usage: vigil status [--json] [--runtime-dir DIR]';

export async function runStatus(argv: string[]): Promise<number> {
  let json = false;
  let runtimeDir = DEFAULT_RUNTIME_DIR;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--runtime-dir' && argv[i + 1] !== undefined) runtimeDir = argv[++i]!;
    else if (a.startsWith('--runtime-dir=')) runtimeDir = a.slice('--runtime-dir='.length);
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`vigil status: unexpected argument '${a}'\n${USAGE}`);
      return 2;
    }
  }
  let status: unknown;
  try {
    status = await controlRequest(controlSocketPath(runtimeDir), { cmd: 'status' });
  } catch (e) {
    console.error(`vigil status: ${(e as Error).message}`);
    return 1;
  }
  console.log(json ? JSON.stringify(status, null, 2) : formatStatus(status));
  return 0;
}

/** A compact, indented rendering of the status tree for a terminal. */
export function formatStatus(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return `${indent}${String(value)}`;
  const lines: string[] = [];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    if (v !== null && typeof v === 'object') {
      lines.push(`${indent}${k}:`);
      lines.push(formatStatus(v, indent + '  '));
    } else {
      lines.push(`${indent}${k}: ${String(v)}`);
    }
  }
  return lines.join('\n');
}
