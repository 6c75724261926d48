// `vigil -v` / `vigil version`: the package version.
import { readFileSync } from 'node:fs';

export function versionText(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `vigil ${pkg.version}`;
}

export function printVersion(): number {
  console.log(versionText());
  return 0;
}
