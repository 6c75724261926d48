// Parse + validate time and peak memory for a large configuration: 1,000 virtual servers × 10 real
// servers, each with a checker (≈100k lines). Target: under 1 s and under 200 MB on our 2-core
// machines. Each run is a fresh process (peak RSS is per process); the median of 3 is printed.
// Usage: npx tsx bench/config-check.ts [virtual-servers] [real-servers-each]
// Measured 2026-12-04 on the shared 2-core host: 105,026 lines (2.1 MiB), median 483 ms
// (443, 483, 536), peak RSS 152 MB.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function generate(vsCount: number, rsCount: number): string {
  const out: string[] = ['global_defs {', '    router_id BENCH', '}', ''];
  out.push('vrrp_script chk {', '    script "/bin/true"', '    interval 2', '    weight -20', '}', '');
  out.push(
    'vrrp_instance VI_1 {',
    '    state MASTER',
    '    interface eth0',
    '    virtual_router_id 51',
    '    priority 100',
  );
  out.push(
    '    authentication {',
    '        auth_type PASS',
    '        auth_pass 1111',
    '    }',
    '    virtual_ipaddress {',
  );
  for (let v = 0; v < vsCount; v++) out.push(`        10.${(v >> 8) & 255}.${v & 255}.1/32`);
  out.push('    }', '    track_script {', '        chk', '    }', '}', '');
  for (let v = 0; v < vsCount; v++) {
    out.push(
      `virtual_server 10.${(v >> 8) & 255}.${v & 255}.1 80 {`,
      '    delay_loop 6',
      '    lb_algo wrr',
      '    lb_kind DR',
    );
    out.push('    persistence_timeout 50', '    protocol TCP', '');
    for (let r = 0; r < rsCount; r++) {
      out.push(`    real_server 172.16.${v & 255}.${r + 1} 80 {`, `        weight ${(r % 3) + 1}`);
      if (r % 2 === 0) {
        out.push(
          '        HTTP_GET {',
          '            url {',
          '                path /health',
          '                status_code 200',
        );
        out.push(
          '            }',
          '            connect_timeout 3',
          '            retry 3',
          '            delay_before_retry 3',
          '        }',
        );
      } else {
        out.push(
          '        TCP_CHECK {',
          '            connect_port 80',
          '            connect_timeout 3',
          '        }',
        );
      }
      out.push('    }');
    }
    out.push('}', '');
  }
  return out.join('\n');
}

function oneScript(loadJs: string, file: string): string {
  return `import { loadConfig } from ${JSON.stringify(loadJs)};
const t0 = process.hrtime.bigint();
const r = loadConfig(${JSON.stringify(file)}, { configId: 'bench' });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, vs: r.config.virtualServers.length, errors }));`;
}

async function one(file: string): Promise<void> {
  const mod = await import('../src/config/load.js');
  const t0 = process.hrtime.bigint();
  const r = mod.loadConfig(file, { configId: 'bench' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  console.log(
    JSON.stringify({
      ms,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      vs: r.config.virtualServers.length,
      errors,
    }),
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--one') return one(process.argv[3]!);
  const vsCount = Number(process.argv[2] ?? 1000);
  const rsCount = Number(process.argv[3] ?? 10);
  const file = join(mkdtempSync(join(tmpdir(), 'vigil-bench-')), 'keepalived.conf');
  const text = generate(vsCount, rsCount);
  writeFileSync(file, text);
  const lines = text.split('\n').length;
  const runs: { ms: number; maxRssMb: number; vs: number; errors: number }[] = [];
  for (let i = 0; i < 3; i++) {
    // Plain node on the built code when there is one, so the figures are the daemon's, not tsx's.
    const built = fileURLToPath(new URL('../dist/config/load.js', import.meta.url));
    const args = existsSync(built)
      ? ['--input-type=module', '-e', oneScript(built, file)]
      : ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', file];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    runs.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
  runs.sort((a, b) => a.ms - b.ms);
  const mid = runs[1]!;
  const rss = [...runs].sort((a, b) => a.maxRssMb - b.maxRssMb)[1]!.maxRssMb;
  console.log(
    `config: ${vsCount} virtual servers x ${rsCount} real servers, ${lines} lines, ${(text.length / 1048576).toFixed(1)} MiB`,
  );
  console.log(
    `parse + validate: median ${mid.ms.toFixed(0)} ms (runs: ${runs.map((r) => r.ms.toFixed(0)).join(', ')} ms)`,
  );
  console.log(`peak RSS of the checking process: median ${rss.toFixed(0)} MB (Node itself is ~45 MB of it)`);
  console.log(`model: ${mid.vs} virtual servers, ${mid.errors} errors`);
}

await main();
