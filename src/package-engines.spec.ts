import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

interface LockEntry {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(resolve(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

// What a clean `npm ci --omit=dev` installs must run on every Node our `engines` admits, or users on the
// low end get EBADENGINE warnings (and code that may use APIs their Node lacks). The `overrides` in
// package.json hold content-disposition, file-type and cookie at the last majors that still support Node 20.
describe('package-lock.json', () => {
  it('records the engines of package.json (the lock is not stale)', () => {
    expect(lock.packages['']?.engines).toEqual(pkg.engines);
  });

  it('holds no runtime dependency whose engines.node leaves out a Node version we support', () => {
    const ours = pkg.engines.node;
    expect(semver.validRange(ours)).not.toBeNull();
    const misfits: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev) continue;
      // Old packages may still carry the long-deprecated array form; npm ignores it.
      const theirs = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (theirs === undefined) continue;
      if (semver.validRange(theirs) === null || !semver.subset(ours, theirs)) {
        misfits.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version} (node ${theirs}) at ${path}`);
      }
    }
    expect(misfits, `runtime dependencies that do not admit node ${ours}`).toEqual([]);
  });
});
