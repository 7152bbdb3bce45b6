// [R3a] Where a root Viber finds the pids controller for its runs' cgroups.
import { describe, expect, it } from 'vitest';
import { pidsHierarchy } from './run-cgroups.ts';

const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('[R3a] pidsHierarchy', () => {
  it('takes the v1 pids hierarchy, below the daemon’s own cgroup in it', () => {
    expect(pidsHierarchy(V1_MOUNTS, '8:pids:/\n4:memory:/x\n0::/\n')).toEqual({
      version: 1,
      parent: '/sys/fs/cgroup/pids',
    });
    expect(pidsHierarchy(V1_MOUNTS, '8:pids:/system.slice/viber.service\n')).toEqual({
      version: 1,
      parent: '/sys/fs/cgroup/pids/system.slice/viber.service',
    });
    // pids sharing a hierarchy with other controllers.
    const shared = '39 31 0:36 / /sys/fs/cgroup/cpu,pids rw - cgroup cgroup rw,cpu,pids';
    expect(pidsHierarchy(shared, '3:cpu,pids:/a\n')).toEqual({
      version: 1,
      parent: '/sys/fs/cgroup/cpu,pids/a',
    });
  });

  it('a v1 mount of part of the hierarchy (a container’s view) is read from its own root', () => {
    const partial = '39 31 0:36 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids';
    expect(pidsHierarchy(partial, '8:pids:/docker/abc/inner\n')).toEqual({
      version: 1,
      parent: '/sys/fs/cgroup/pids/inner',
    });
    // The daemon's cgroup outside what is mounted: nothing to use.
    expect(pidsHierarchy(partial, '8:pids:/elsewhere\n')).toBeNull();
  });

  it('takes the v2 hierarchy’s root when no v1 hierarchy has pids; a mount point with a space is unescaped', () => {
    const v2 = '30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';
    expect(pidsHierarchy(v2, '0::/user.slice/user-1000.slice/session-2.scope\n')).toEqual({
      version: 2,
      parent: '/sys/fs/cgroup',
    });
    const spaced = '30 23 0:27 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw';
    expect(pidsHierarchy(spaced, '0::/\n')).toEqual({ version: 2, parent: '/mnt/cg two' });
    // A v2 mount of a sub-tree only (a cgroup namespace's view is still "/"; a bind of a part is not).
    expect(pidsHierarchy('30 23 0:27 /part /mnt/cg rw - cgroup2 cgroup2 rw', '0::/\n')).toBeNull();
  });

  it('nothing mounted, or garbage: null', () => {
    expect(pidsHierarchy('', '')).toBeNull();
    expect(pidsHierarchy('not a mountinfo line\n - \n', '8:pids:/\n')).toBeNull();
    expect(
      pidsHierarchy('35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory', '4:memory:/\n'),
    ).toBeNull();
  });
});
