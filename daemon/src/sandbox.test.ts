import { describe, expect, it } from 'vitest';
import { bashScript, wrapForPolicy } from './sandbox.ts';

const none = { git: true, networkIsolation: false, container: '' };
const all = { git: true, networkIsolation: true, container: 'podman' };

describe('execution policy', () => {
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
    expect(cmd.cleanup).toEqual({ command: 'podman', args: ['rm', '-f', 'viber-run-1'] });
    expect(() =>
      wrapForPolicy(bashScript('x'), { network: true, containerImage: 'node:24' }, none, '/w', [], 'n'),
    ).toThrow(/no working docker or podman/);
  });
});
