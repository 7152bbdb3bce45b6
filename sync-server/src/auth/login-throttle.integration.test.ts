// The login and signup throttles against real server processes, attacked the way issue 14 found
// them broken: concurrent guesses, resets by one's own login, guesses at unknown names (and answers
// that told them apart), case variants of a name, and several processes sharing one Redis.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { api, signup } from '../../testing/peers.ts';
import {
  startPostgres,
  startRedis,
  type RunningPostgres,
  type RunningRedis,
} from '../../testing/pg-redis.ts';
import { spawnServer, type SpawnedServer } from '../../testing/spawn-server.ts';
import { LOGIN_FAILURES_PER_USER } from '../limits.ts';

const PASSWORD = 'correct horse battery';
const servers: SpawnedServer[] = [];
const start = async (env?: Record<string, string>) => {
  const s = await spawnServer({ env });
  servers.push(s);
  return s;
};
let postgres: RunningPostgres | undefined;
let redis: RunningRedis | undefined;
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

const login = (s: SpawnedServer, username: string, password: string) =>
  api(s.url, 'POST', '/api/auth/login', { body: { username, password } });
const count = (statuses: number[], status: number) => statuses.filter((x) => x === status).length;

describe('login throttle', () => {
  it('40 concurrent wrong guesses: at most the limit are evaluated, and the right password after them is refused', async () => {
    const s = await start();
    await signup(s.url, 'victim');
    const statuses = (
      await Promise.all(Array.from({ length: 40 }, (_, i) => login(s, 'victim', `guess-${i}-wrong`)))
    ).map((r) => r.status);
    expect(count(statuses, 401)).toBeLessThanOrEqual(LOGIN_FAILURES_PER_USER);
    expect(count(statuses, 429)).toBeGreaterThanOrEqual(40 - LOGIN_FAILURES_PER_USER);
    const right = await login(s, 'victim', PASSWORD);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('is keyed on the case-folded name: Alice and alice are one account and one budget', async () => {
    const s = await start();
    await signup(s.url, 'Alice');
    const again = await api(s.url, 'POST', '/api/auth/signup', {
      body: { username: 'alice', password: PASSWORD },
    });
    expect([again.status, again.body.error.field]).toEqual([409, 'username']);
    expect((await login(s, 'ALICE', PASSWORD)).body.user.username).toBe('Alice');
    const variants = ['alice', 'ALICE', 'aLiCe', 'Alice', 'alicE'];
    for (const name of variants) expect((await login(s, name, 'not the password')).status).toBe(401);
    expect((await login(s, 'Alice', PASSWORD)).status).toBe(429);
  });

  it("one user's successful login never resets the address's counter", async () => {
    const perAddress = 2 * LOGIN_FAILURES_PER_USER; // a smaller budget than the default keeps this fast
    const s = await start({ LOGIN_FAILURES_PER_ADDRESS: String(perAddress) });
    const users = await Promise.all(
      Array.from({ length: perAddress / LOGIN_FAILURES_PER_USER }, (_, i) => signup(s.url, `nat${i}`)),
    );
    const own = await signup(s.url, 'natowner');
    // Spend the address's whole budget, LOGIN_FAILURES_PER_USER wrong guesses per user, with the
    // attacker's own successful login before every one of them.
    for (const u of users) {
      for (let i = 0; i < LOGIN_FAILURES_PER_USER; i++) {
        expect((await login(s, own.username, PASSWORD)).status).toBe(200);
        expect((await login(s, u.username, 'wrong password')).status).toBe(401);
      }
    }
    expect((await login(s, own.username, 'wrong password')).status).toBe(429);
    expect((await login(s, own.username, PASSWORD)).status).toBe(429);
  });

  it('[S14] unknown and known names answer alike: same status, message, Retry-After and a password check each', async () => {
    const s = await start();
    await signup(s.url, 'realname');
    const timed = async (username: string) => {
      const at = performance.now();
      const res = await login(s, username, 'not the password');
      const ms = performance.now() - at;
      return { status: res.status, body: res.body, retryAfter: res.headers.get('retry-after'), ms };
    };
    type Answer = Awaited<ReturnType<typeof timed>>;
    // Twelve names that do not exist (before, past 10 the server answered 429 "unknown names" at once).
    const ghosts: Answer[] = [];
    for (let i = 0; i < 12; i++) ghosts.push(await timed(`ghost${i}`));
    expect(ghosts.map((r) => r.status)).toEqual(Array(12).fill(401));
    // One name that exists and one that does not, each up to and past its own budget, in turn.
    const real: Answer[] = [];
    const ghost: Answer[] = [];
    for (let i = 0; i <= LOGIN_FAILURES_PER_USER; i++) {
      real.push(await timed('realname'));
      ghost.push(await timed('ghostname'));
    }
    const outside = (r: Answer) => [r.status, r.body];
    expect(ghost.map(outside)).toEqual(real.map(outside));
    // Retry-After counts down from each name's first failure, a request apart: equal within a second.
    const wait = (r: Answer) => Number(r.retryAfter);
    expect(wait(ghost[LOGIN_FAILURES_PER_USER])).toBeGreaterThan(0);
    expect(
      Math.abs(wait(ghost[LOGIN_FAILURES_PER_USER]) - wait(real[LOGIN_FAILURES_PER_USER])),
    ).toBeLessThanOrEqual(1);
    expect(real.map((r) => r.status)).toEqual([...Array(LOGIN_FAILURES_PER_USER).fill(401), 429]);
    expect(ghosts[0].body).toEqual(real[0].body);
    // Both run the password check: a 401 for a missing name is not answered faster. The quickest of
    // each (other load on the machine only adds time); a second account gives more known samples.
    await signup(s.url, 'realname2');
    const more: Answer[] = [];
    for (let i = 0; i < LOGIN_FAILURES_PER_USER - 1; i++) more.push(await timed('realname2'));
    const quickest = (rs: Answer[]) => Math.min(...rs.map((r) => r.ms));
    const known = quickest([...real.slice(0, LOGIN_FAILURES_PER_USER), ...more]);
    const unknown = quickest([...ghosts, ...ghost.slice(0, LOGIN_FAILURES_PER_USER)]);
    expect(unknown).toBeGreaterThan(known / 3);
  });

  it("[S14] guesses at names that do not exist never spend a real user's budget", async () => {
    const s = await start();
    const real = await signup(s.url, 'realuser');
    const statuses: number[] = [];
    for (let i = 0; i < 3 * LOGIN_FAILURES_PER_USER; i++)
      statuses.push((await login(s, `ghost${i}`, 'whatever pass')).status);
    expect(statuses).toEqual(Array(3 * LOGIN_FAILURES_PER_USER).fill(401));
    expect((await login(s, real.username, PASSWORD)).status).toBe(200);
  });

  it("[S14] the address's budget counts failures at any name, so names that do not exist cannot be told apart by it", async () => {
    const perAddress = 8;
    const s = await start({ LOGIN_FAILURES_PER_ADDRESS: String(perAddress) });
    const real = await signup(s.url, 'behindnat');
    for (let i = 0; i < perAddress; i++)
      expect((await login(s, `nobody${i}`, 'whatever pass')).status).toBe(401);
    const forGhost = await login(s, 'nobodyelse', 'whatever pass');
    const forReal = await login(s, real.username, PASSWORD);
    expect([forGhost.status, forGhost.body]).toEqual([429, forReal.body]);
    expect(forReal.body.error.message).toMatch(/too many failed logins from this address/);
  });

  it('signups are throttled per address', async () => {
    const s = await start({ SIGNUPS_PER_HOUR: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (await api(s.url, 'POST', '/api/auth/signup', { body: { username: `many${i}`, password: PASSWORD } }))
          .status,
      );
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
  });

  it("[S14a] 40 concurrent correct logins from one address: those past its share are answered 503 at once, and spend no one's failure budget", async () => {
    const s = await start({ SIGNUPS_PER_HOUR: '100' });
    // Ten names, four logins each (one name's own budget admits at most LOGIN_FAILURES_PER_USER at once).
    const names = Array.from({ length: 10 }, (_, i) => `flood${i}`);
    for (const name of names) await signup(s.url, name);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(s, names[i % 10], PASSWORD)),
    );
    const statuses = answers.map((r) => r.status);
    expect(count(statuses, 200) + count(statuses, 503)).toBe(40);
    // At most MAX_PASSWORD_CHECKS_PER_ADDRESS hold a place at once, each check ~20 ms, one at a time.
    expect(count(statuses, 503)).toBeGreaterThan(0);
    for (const busy of answers.filter((r) => r.status === 503)) {
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(busy.body.error.message).toMatch(/too many password checks from this address at once/);
    }
    // Refused before any check: each name's failure budget is whole (a wrong guess per point, then 429).
    for (const name of names.slice(0, 2)) {
      for (let i = 0; i < LOGIN_FAILURES_PER_USER; i++)
        expect((await login(s, name, 'a wrong password')).status).toBe(401);
      expect((await login(s, name, 'a wrong password')).status).toBe(429);
    }
  });

  it('[S14a] a signup answered 503 (its password not hashed) spends none of the hourly signups', async () => {
    const s = await start({ SIGNUPS_PER_HOUR: '10' });
    const signupAs = (name: string) =>
      api(s.url, 'POST', '/api/auth/signup', { body: { username: name, password: PASSWORD } });
    // Thirty at once: those past the address's share of password checks get 503 before hashing, and
    // give their point back to the ones still waiting for the hourly budget.
    const burst = (await Promise.all(Array.from({ length: 30 }, (_, i) => signupAs(`burst${i}`)))).map(
      (r) => r.status,
    );
    expect(count(burst, 503)).toBeGreaterThan(0);
    expect(count(burst, 201)).toBeLessThanOrEqual(10);
    // Only what was created spent the budget: one by one, it admits exactly the rest.
    const after: number[] = [];
    for (let i = 0; i < 12; i++) after.push((await signupAs(`after${i}`)).status);
    expect(count(burst, 201) + count(after, 201)).toBe(10);
    expect(after.at(-1)).toBe(429);
  });

  it('is shared by every process through Redis: two processes do not give twice the guesses', async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const env = { DATABASE_URL: await postgres.createSchema(), REDIS_URL: redis.url };
    const [a, b] = await Promise.all([start(env), start(env)]);
    await signup(a.url, 'shared');
    const statuses = (
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => login(i % 2 ? a : b, 'shared', `guess-${i}-wrong`)),
      )
    ).map((r) => r.status);
    expect(count(statuses, 401)).toBeLessThanOrEqual(LOGIN_FAILURES_PER_USER);
    expect((await login(a, 'shared', PASSWORD)).status).toBe(429);
    expect((await login(b, 'shared', PASSWORD)).status).toBe(429);
  });
});
