import { describe, expect, it } from 'vitest';
import { NO_CAPABILITIES } from './capabilities.ts';
import { MAX_RUN_PROCESSES, RUN_OOM_SCORE_ADJ } from './limits.ts';
import { bashScript, engineCommand, wrapForPolicy, type Confinement } from './sandbox.ts';

const at = (capabilities: Partial<Confinement['capabilities']>): Confinement => ({
  capabilities: { ...NO_CAPABILITIES, git: true, ...capabilities },
  home: '/h',
  root: '/h/workspaces',
  reach: ['/w'],
});
const none = at({});
const all = at({ networkIsolation: true, container: 'podman', hidesKeys: true });

describe('execution policy', () => {
  it('an engine command (volume rm) runs unwrapped, but only the probed engine', () => {
    const rm = { command: 'podman', args: ['volume', 'rm', '--force', 'viber-cache-e'] };
    expect(engineCommand(rm, all.capabilities)).toEqual(rm);
    expect(() => engineCommand({ command: 'bash', args: ['-c', 'x'] }, all.capabilities)).toThrow(
      /not this Viber/,
    );
    expect(() => engineCommand(rm, none.capabilities)).toThrow(/not this Viber/);
  });

  it('no network runs under an empty network namespace, or is refused when the Viber cannot', () => {
    expect(
      wrapForPolicy(bashScript('x'), { network: false, containerImage: '' }, all, '/w', [], 'n').command,
    ).toBe('unshare');
    expect(() =>
      wrapForPolicy(bashScript('x'), { network: false, containerImage: '' }, none, '/w', [], 'n'),
    ).toThrow(/refusing to run with network/);
  });

  it('a container image runs through the runtime, secrets passed by name only, or fails clearly', () => {
    const cmd = wrapForPolicy(
      { command: 'bash', args: ['-c', 'echo $API_TOKEN'] },
      { network: false, containerImage: 'node:24' },
      all,
      '/w',
      ['API_TOKEN'],
      'viber-run-1',
    );
    expect(cmd.command).toBe('podman');
    expect(cmd.args).toEqual(expect.arrayContaining(['--network', 'none', '-e', 'API_TOKEN', 'node:24']));
    // Explicit limits: engine defaults above the host's hard limits fail under runc (PITFALLS).
    expect(cmd.args.join(' ')).toContain('--ulimit nofile=20000:20000 --ulimit nproc=4096:4096 --name');
    // [R3a] Run by root, the container's root is the host's: its pids cgroup has the limit too.
    const image = { network: false, containerImage: 'node:24' };
    const asRoot = wrapForPolicy(bashScript('x'), image, { ...all, asRoot: true }, '/w', [], 'n');
    expect(asRoot.args.join(' ')).toContain(
      `--ulimit nproc=4096:4096 --pids-limit 4096 --oom-score-adj ${RUN_OOM_SCORE_ADJ} --name`,
    );
    expect(cmd.cleanup).toEqual({ command: 'podman', args: ['rm', '-f', '--time', '1', 'viber-run-1'] });
    expect(cmd.args).not.toContain('--tmpfs');
    // A working directory that holds $VIBER_HOME gets it covered, none of the workspace root bound back.
    const parent = wrapForPolicy(bashScript('x'), { network: true, containerImage: 'i' }, all, '/', [], 'n');
    expect(parent.args.join(' ')).toContain('-v /:/ -w / --tmpfs /h:notmpcopyup -- i bash');
    // A task's worktree gets its checkout (its git directory) mounted too, nothing else of the root.
    const tree = '/h/workspaces/worktrees/t1/sub';
    const reach = { ...all, reach: ['/h/workspaces/checkouts/b1', '/h/workspaces/worktrees/t1'] };
    const task = wrapForPolicy(bashScript('x'), { network: true, containerImage: 'i' }, reach, tree, [], 'n');
    expect(task.args.filter((_, i) => task.args[i - 1] === '-v')).toEqual([
      `${tree}:${tree}`,
      '/h/workspaces/checkouts/b1:/h/workspaces/checkouts/b1',
      '/h/workspaces/worktrees/t1:/h/workspaces/worktrees/t1',
    ]);
    expect(() =>
      wrapForPolicy(bashScript('x'), { network: true, containerImage: 'node:24' }, none, '/w', [], 'n'),
    ).toThrow(/no working docker or podman/);
  });

  it('[R3] a Viber that can hide its keys runs everything under bwrap with $VIBER_HOME hidden, inside the empty network namespace', () => {
    const cmd = wrapForPolicy(bashScript('x'), { network: false, containerImage: '' }, all, '/w', [], 'n');
    expect(cmd.command).toBe('unshare');
    const args = cmd.args.join(' ');
    // /sys read-only: a root Viber's run may not write what root may there (its pids cgroup, say).
    expect(args).toContain(
      '-rn -- bwrap --bind / / --ro-bind-try /sys /sys --dev /dev --tmpfs /h --unshare-pid',
    );
    expect(args).toContain('--unshare-pid --proc /proc --cap-drop ALL --die-with-parent --chdir /w -- bash');
    // [R3a] ...at most MAX_RUN_PROCESSES processes, set inside the sandbox, then the command itself.
    expect(cmd.args.slice(cmd.args.indexOf('--', 3) + 1)).toEqual([
      'bash',
      '--noprofile',
      '--norc',
      '-c',
      // [R3b] ...and the kernel's first choice when memory runs out.
      `{ echo ${RUN_OOM_SCORE_ADJ} > /proc/self/oom_score_adj; } 2>/dev/null; ulimit -u ${MAX_RUN_PROCESSES} && exec "$@"`,
      'viber-run',
      ...bashScript('x').command.split(' '),
      ...bashScript('x').args,
    ]);
    // A setup or task sees its own part of the workspace root only (outermost paths, once each)...
    const tree = '/h/workspaces/worktrees/t1/sub';
    const reach = {
      ...all,
      reach: ['/h/workspaces/checkouts/b1', '/h/workspaces/worktrees/t1', '/elsewhere'],
    };
    expect(
      wrapForPolicy(bashScript('x'), { network: true, containerImage: '' }, reach, tree, [], 'n').args.join(
        ' ',
      ),
    ).toContain(
      '--tmpfs /h --bind /h/workspaces/checkouts/b1 /h/workspaces/checkouts/b1 --bind /h/workspaces/worktrees/t1 /h/workspaces/worktrees/t1 --unshare-pid',
    );
    // ...and so do the daemon's own tools (no policy: git a repository could make run a command),
    // hidden from the keys as well.
    const checkout = { ...all, reach: ['/h/workspaces/checkouts/b1'] };
    const git = wrapForPolicy(
      { command: 'git', args: ['status'] },
      undefined,
      checkout,
      '/h/workspaces/checkouts/b1',
      [],
      'n',
    );
    expect(git.command).toBe('bwrap');
    expect(git.args.join(' ')).toContain(
      '--tmpfs /h --bind /h/workspaces/checkouts/b1 /h/workspaces/checkouts/b1 --unshare-pid',
    );
    expect(wrapForPolicy({ command: 'git', args: [] }, undefined, none, '/w', [], 'n').command).toBe('git');
  });
});
