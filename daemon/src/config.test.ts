import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '@openviber/shared/crypto';
import { readConfig, writeConfig } from './config.ts';
import { tempDir } from '../test/temp-dir.ts';

describe('config.json [X1]', () => {
  it('is written with mode 0600 and read back validated', async () => {
    const home = join(tempDir(), 'home');
    const config = {
      server: 'http://127.0.0.1:4321',
      userId: 'usr_1',
      viberId: 'vbr_1',
      name: 'box',
      authToken: 't',
      ...(await generateKeyPair()),
      createdAt: 1,
    };
    writeConfig(home, config);
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(readConfig(home)).toEqual(config);
  });

  it('a corrupt or tampered config gets an error naming the file and field', async () => {
    const home = tempDir();
    expect(() => readConfig(home)).toThrow(/viber onboard/);
    writeFileSync(join(home, 'config.json'), '{ not json');
    expect(() => readConfig(home)).toThrow(/config.json is not valid JSON/);
    const good = {
      server: 'http://x:1',
      userId: 'usr_1',
      viberId: 'vbr_1',
      name: 'b',
      authToken: 't',
      ...(await generateKeyPair()),
      createdAt: 1,
    };
    writeFileSync(join(home, 'config.json'), JSON.stringify({ ...good, viberId: '../../etc', extra: 1 }));
    expect(() => readConfig(home)).toThrow(
      /viberId: must be an id.*extra: is not a known field|extra: is not a known field.*viberId/,
    );
    expect(readFileSync(join(home, 'config.json'), 'utf8')).toContain('../../etc'); // reading never rewrites
  });
});
