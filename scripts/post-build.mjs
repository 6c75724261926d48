// After tsc: make the CLI entry executable (tsc keeps the shebang but not the mode) and copy the
// dashboard's browser files, which tsc does not compile, next to dist/dashboard/serve.js.
import { chmodSync, cpSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
cpSync(
  new URL('../src/dashboard/assets/', import.meta.url),
  new URL('../dist/dashboard/assets/', import.meta.url),
  {
    recursive: true,
  },
);
