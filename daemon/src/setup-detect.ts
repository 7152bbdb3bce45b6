// Setup mode `auto`: the usual install step, picked from the lockfiles at the top of the checkout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const LOCKFILES: [file: string, command: string][] = [
  ['pnpm-lock.yaml', 'pnpm install --frozen-lockfile'],
  ['yarn.lock', 'yarn install --frozen-lockfile'],
  ['bun.lock', 'bun install --frozen-lockfile'],
  ['bun.lockb', 'bun install --frozen-lockfile'],
  ['package-lock.json', 'npm ci'],
  ['uv.lock', 'uv sync --frozen'],
  ['poetry.lock', 'poetry install --no-interaction'],
  ['Pipfile.lock', 'pipenv install --deploy'],
  ['requirements.txt', 'pip install -r requirements.txt'],
  ['Gemfile.lock', 'bundle install'],
  ['go.sum', 'go mod download'],
  ['Cargo.lock', 'cargo fetch'],
];

/** The install commands for the lockfiles present in `dir` (JS: only the first package manager found). */
export function detectInstallSteps(dir: string): string[] {
  const steps: string[] = [];
  let js = false;
  for (const [file, command] of LOCKFILES) {
    if (!existsSync(join(dir, file))) continue;
    const isJs = /^(pnpm|yarn|bun|npm) /.test(command);
    if (isJs && js) continue;
    js ||= isJs;
    steps.push(command);
  }
  return steps;
}
