// A small real Node project for tests, installable without the internet: one dependency, a tiny
// package made here and packed with `npm pack`, put into an npm cache of its own with
// `npm cache add`. The committed package-lock.json names it by its registry URL and integrity, so
// `npm ci` and `npm install` with `npmEnv` (that cache, `offline`) take it from the cache by digest
// and never ask a registry. Its tests (`npm test` = `node --test`) require the dependency, so they
// fail with "Cannot find module" wherever the install did not reach.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.ts';

/** The dependency's name (not on the public registry; nothing here would fetch it anyway). */
export const NODE_DEP = 'openviber-fixture-greet';

export interface NodeProject {
  /** The repository's files: .gitignore, package.json, package-lock.json, greeting.js, its test. */
  files: Record<string, string>;
  /** For the Viber's environment: npm installs from the prefilled cache only, offline. */
  npmEnv: Record<string, string>;
}

export function nodeProject(): NodeProject {
  const root = tempDir('viber-node-project-');
  const dep = join(root, 'dep');
  const cache = join(root, 'npm-cache');
  mkdirSync(dep);
  writeFileSync(
    join(dep, 'package.json'),
    JSON.stringify({ name: NODE_DEP, version: '1.0.0', main: 'index.js' }),
  );
  writeFileSync(join(dep, 'index.js'), 'module.exports = (name) => `hello, ${name}`;\n');
  const npm = (cwd: string, ...args: string[]) =>
    execFileSync('npm', args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: cache, npm_config_offline: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const [{ filename }] = JSON.parse(npm(dep, 'pack', '--json', '--pack-destination', root));
  const tarball = join(root, filename);
  npm(root, 'cache', 'add', tarball);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;

  const pkg = {
    name: 'greeter',
    version: '1.0.0',
    private: true,
    scripts: { test: 'node --test' },
    dependencies: { [NODE_DEP]: '1.0.0' },
  };
  // As npm writes it (lockfileVersion 3). `resolved` is needed: without it npm asks the registry.
  const lock = {
    name: 'greeter',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'greeter', version: '1.0.0', dependencies: { [NODE_DEP]: '1.0.0' } },
      [`node_modules/${NODE_DEP}`]: {
        version: '1.0.0',
        resolved: `https://registry.npmjs.org/${NODE_DEP}/-/${NODE_DEP}-1.0.0.tgz`,
        integrity,
      },
    },
  };
  return {
    files: {
      '.gitignore': 'node_modules/\n',
      'package.json': JSON.stringify(pkg, null, 2) + '\n',
      'package-lock.json': JSON.stringify(lock, null, 2) + '\n',
      'greeting.js': `const greet = require('${NODE_DEP}');\nmodule.exports = (name) => greet(name) + '!';\n`,
      'test/greeting.test.js': [
        "const test = require('node:test');",
        "const assert = require('node:assert');",
        "const greeting = require('../greeting.js');",
        "test('greets by name', () => assert.strictEqual(greeting('Ada'), 'hello, Ada!'));",
        '',
      ].join('\n'),
    },
    npmEnv: { npm_config_cache: cache, npm_config_offline: 'true' },
  };
}
