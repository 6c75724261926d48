// The netns lab builder for system tests (src/lab): namespaces on a bridge, tracked processes,
// always torn down. `withLab` builds one for a test and destroys it when the test ends.
import type { TestContext } from 'node:test';
import { createLab, type Lab, type LabSpec } from '../../src/lab/index.js';

export * from '../../src/lab/index.js';
export { inNetns } from '../../src/os/native.js';

/** Builds a lab that is destroyed when the test (or its process) ends. */
export async function withLab(t: TestContext, spec: LabSpec): Promise<Lab> {
  const lab = await createLab(spec);
  t.after(() => lab.destroy());
  return lab;
}
