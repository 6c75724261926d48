// `vigil realserver`: sets up (or checks, or undoes) an LVS DR/TUN real server. See
// src/realserver/plan.ts for what it wants and src/realserver/apply.ts for how.
import { closeRtnl, openRtnl } from '../os/link.js';
import { apply, check, undo } from '../realserver/apply.js';
import { parseRealserverArgs, USAGE } from '../realserver/plan.js';

export async function runRealserver(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  const parsed = parseRealserverArgs(argv);
  if (!parsed.ok) {
    console.error(`vigil realserver: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  const o = parsed.options;
  const rtnl = openRtnl();
  try {
    if (o.check) {
      const missing = await check(rtnl, o);
      for (const line of missing) console.log(line);
      if (!missing.length) console.log(`ok: ${o.mode.toUpperCase()} real server set up on ${o.dev}`);
      return missing.length ? 1 : 0;
    }
    const done = o.undo
      ? await undo(
          rtnl,
          o.root,
          o.vips.map((v) => v.address),
        )
      : await apply(rtnl, o);
    for (const line of done) console.log(line);
    if (!done.length) console.log(o.undo ? 'nothing left to undo' : 'already in place; nothing changed');
    return 0;
  } catch (e) {
    console.error(`vigil realserver: ${(e as Error).message}`);
    return 1;
  } finally {
    closeRtnl(rtnl);
  }
}
