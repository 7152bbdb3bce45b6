// Time to start a task in a prepared project whose environment does not persist its volume: a git
// worktree of the prepared checkout plus what setup produced (a synthetic node_modules of 400
// packages, ignored by git), copied in by the daemon's own seedWorktree (`cp -a --reflink=auto`)
// through its runner. References: the bare `git worktree add` (what a task got before: no
// node_modules) and a hard-link copy (`cp -al`, measured and refused: a task editing a dependency in
// place would edit the prepared checkout too).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGit } from '../daemon/src/git-executor.ts';
import { worktreeAddTask } from '../daemon/src/git-tasks.ts';
import { seedWorktree } from '../daemon/src/worktree-seed.ts';
import { probedRunner } from '../daemon/test/probed-runner.ts';
import { ms, type Row } from './report.ts';

export const PACKAGES = 400;

function preparedProject(root: string): string {
  const dir = join(root, 'checkouts', 'b1');
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@x', ...args], { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'package.json'), '{"name":"app","version":"1.0.0"}\n');
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'app');
  for (let i = 0; i < PACKAGES; i++) {
    const pkg = join(dir, 'node_modules', `pkg-${i}`);
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: `pkg-${i}`, version: '1.0.0', main: 'index.js' }),
    );
    writeFileSync(join(pkg, 'index.js'), `module.exports = require('./lib/util.js');\n`.repeat(20));
    writeFileSync(join(pkg, 'lib', 'util.js'), `exports.n = ${i};\n`.repeat(200));
    writeFileSync(join(pkg, 'README.md'), `# pkg-${i}\n`.repeat(100));
  }
  return dir;
}

/** Best of `rounds`: worktree + seed, bare worktree, worktree + hard-link copy (ms). */
export async function taskStart(rounds: number) {
  const home = mkdtempSync(join(tmpdir(), 'viber-bench-home-'));
  const root = join(home, 'workspaces');
  try {
    const checkout = preparedProject(root);
    const runner = await probedRunner(home, root);
    let n = 0;
    const time = async (extra: (tree: string) => Promise<void>) => {
      let best = Infinity;
      for (let r = 0; r < rounds; r++) {
        const tree = join(root, 'worktrees', `t${n++}`);
        mkdirSync(tree, { recursive: true });
        const t0 = performance.now();
        // As the daemon does: git reaches the checkout and the task's worktree only.
        await runGit(worktreeAddTask(tree), { runner, cwd: checkout, reach: [checkout, tree] });
        await extra(tree);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const seededMs = await time(async (tree) => {
      await seedWorktree({ runner, checkout, worktree: tree, reach: [checkout, tree] });
    });
    const bareMs = await time(async () => {});
    const hardLinkMs = await time(async (tree) => {
      execFileSync('cp', ['-al', '--', join(checkout, 'node_modules'), join(tree, 'node_modules')]);
    });
    return { seededMs, bareMs, hardLinkMs };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The bench section: one row with the target, two informational. */
export async function benchTaskStart(rows: Row[], methods: string[], rounds = 3): Promise<void> {
  const r = await taskStart(rounds);
  rows.push({
    figure: `task start, prepared project (${PACKAGES} packages)`,
    value: ms(r.seededMs),
    reference: `${ms(r.bareMs)} bare worktree`,
    ratio: r.seededMs / r.bareMs,
    target: '< 2 s',
    pass: r.seededMs < 2000,
  });
  rows.push({
    figure: '  hard-link copy instead (refused)',
    value: ms(r.hardLinkMs),
    reference: '—',
    target: '—',
  });
  methods.push(
    `task start: a git checkout under a temp $VIBER_HOME with a synthetic node_modules of ${PACKAGES} packages (package.json, index.js, lib/util.js, README.md each; ignored by .gitignore); timed: \`git worktree add --detach\` plus the daemon's seedWorktree (\`git ls-files --ignored --directory\`, then \`cp -a --reflink=auto --parents\`), both through the daemon's runner with this machine's probed capabilities (bwrap where it works). References: the worktree alone (no dependencies: what a task had before) and a hard-link copy (\`cp -al\`). Best of ${rounds}.`,
  );
}
