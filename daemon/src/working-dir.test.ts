import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInside, resolveWorkingDir } from './working-dir.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('working directories [§8]', () => {
  it('stay inside the workspace root for clone bindings', () => {
    const root = tempDir();
    const checkout = join(root, 'checkouts', 'b1');
    mkdirSync(join(checkout, 'pkg'), { recursive: true });
    expect(resolveWorkingDir(root, checkout, 'pkg', 'clone')).toBe(join(checkout, 'pkg'));
    expect(() => resolveWorkingDir(root, checkout, '../../..', 'clone')).toThrow(/workingDir/);
    expect(() => resolveWorkingDir(root, checkout, '/etc', 'clone')).toThrow(/workingDir/);
    symlinkSync('/etc', join(checkout, 'etc-link'));
    expect(() => resolveWorkingDir(root, checkout, 'etc-link', 'clone')).toThrow(/outside/);
    symlinkSync(join(root, 'checkouts'), join(checkout, 'sibling'));
    expect(() => resolveWorkingDir(root, checkout, 'sibling/b2', 'clone')).toThrow(/outside the checkout/);
  });

  it('an existing-path binding may live anywhere, but still refuses ..', () => {
    const root = tempDir();
    const elsewhere = tempDir();
    expect(resolveWorkingDir(root, elsewhere, '', 'existing')).toBe(elsewhere);
    expect(() => resolveWorkingDir(root, elsewhere, '../x', 'existing')).toThrow(/workingDir/);
  });

  it('isInside follows symlinks of paths that do not exist yet', () => {
    const root = tempDir();
    symlinkSync('/tmp', join(root, 'out'));
    expect(isInside(root, join(root, 'a', 'b'))).toBe(true);
    expect(isInside(root, join(root, 'out', 'new'))).toBe(false);
  });
});
