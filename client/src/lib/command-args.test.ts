// The onboarding command is shown argument by argument: quotes hold a name with spaces together.
import { describe, expect, it } from 'vitest';
import { argPieces, commandArgs } from './command-args.ts';

describe('commandArgs', () => {
  it('splits at spaces outside quotes and keeps the quotes', () => {
    expect(
      commandArgs(`npx --yes http://h:1/viber.tgz onboard --name 'build box' --x "$(hostname)"`),
    ).toEqual([
      'npx',
      '--yes',
      'http://h:1/viber.tgz',
      'onboard',
      '--name',
      "'build box'",
      '--x',
      '"$(hostname)"',
    ]);
  });
  it('offers breaks between fingerprint groups and URL parts, never inside //', () => {
    expect(argPieces('b7e7:0963:65e7')).toEqual(['b7e7:', '0963:', '65e7']);
    expect(argPieces('http://127.0.0.1:42139/viber.tgz')).toEqual([
      'http://',
      '127.0.0.1:',
      '42139/',
      'viber.tgz',
    ]);
    expect(argPieces('--token')).toEqual(['--token']);
  });
});
