// [S14a] The password gate: how many hashes run at once, how many wait, and how many one address holds.
import { describe, expect, it } from 'vitest';
import { HttpError } from '../http/http-error.ts';
import { PasswordGate } from './password-gate.ts';

/** A check the test finishes by hand, recording how many ran at once. */
function checks() {
  let running = 0;
  let most = 0;
  const finish: (() => void)[] = [];
  const check = () =>
    new Promise<string>((resolve) => {
      running++;
      most = Math.max(most, running);
      finish.push(() => {
        running--;
        resolve('checked');
      });
    });
  return { check, finish, most: () => most };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('[S14a] password gate', () => {
  it('runs one check at a time, lets a bounded number wait, and answers the rest 503 with Retry-After before hashing', async () => {
    const gate = new PasswordGate({ atOnce: 1, waiting: 3, perAddress: 100 });
    const c = checks();
    const admitted = Array.from({ length: 4 }, (_, i) => gate.run(`10.0.0.${i}`, c.check));
    await settle();
    expect(gate.load).toEqual({ running: 1, waiting: 3 });
    const refused = await gate.run('10.0.0.9', c.check).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(503);
    expect((refused as HttpError).message).toMatch(/busy checking passwords; try again in 1 s/);
    expect((refused as HttpError).headers['retry-after']).toBe('1');
    for (let i = 0; i < 4; i++) {
      c.finish.shift()?.();
      await settle();
    }
    expect(await Promise.all(admitted)).toEqual(Array(4).fill('checked'));
    expect(c.most()).toBe(1);
    // Room again once the queue drained.
    const again = gate.run('10.0.0.9', c.check);
    await settle();
    c.finish.shift()?.();
    expect(await again).toBe('checked');
  });

  it('one address holds at most its share, running or waiting; others still get in; a failed check frees its place', async () => {
    const gate = new PasswordGate({ atOnce: 1, waiting: 50, perAddress: 2 });
    const c = checks();
    const mine = [gate.run('203.0.113.5', c.check), gate.run('203.0.113.5', c.check)];
    const third = await gate.run('203.0.113.5', c.check).catch((e: unknown) => e);
    expect((third as HttpError).status).toBe(503);
    expect((third as HttpError).message).toMatch(
      /too many password checks from this address at once \(at most 2\)/,
    );
    const other = gate.run('198.51.100.7', c.check);
    await settle();
    expect(gate.load).toEqual({ running: 1, waiting: 2 });
    for (let i = 0; i < 3; i++) {
      c.finish.shift()?.();
      await settle();
    }
    expect(await Promise.all([...mine, other])).toEqual(Array(3).fill('checked'));
    // A check that throws gives its place back too.
    await expect(gate.run('203.0.113.5', () => Promise.reject(new Error('argon2 failed')))).rejects.toThrow(
      'argon2 failed',
    );
    await expect(gate.run('203.0.113.5', () => Promise.reject(new Error('again')))).rejects.toThrow('again');
    const ok = [gate.run('203.0.113.5', async () => 'a'), gate.run('203.0.113.5', async () => 'b')];
    expect(await Promise.all(ok)).toEqual(['a', 'b']);
  });
});
