// Repo URLs reach `git clone`; only plain transports are allowed (design §8).

export type Check = { ok: true } | { ok: false; message: string };

const SHELL_META = /[;&|`$<>\\'"(){}*?![\]]/;
// user@host:path; neither user nor host may start with '-' (ssh would read it as an option).
const SCP_LIKE = /^(?!-)[A-Za-z0-9._-]+@(?!-)[A-Za-z0-9.-]+:(?!-)[A-Za-z0-9._~/-]+$/;
const SCP_SHAPE = /^[^/:@]+@[^/:]+:/;

/** The transports git may use when it fetches a repo (GIT_ALLOW_PROTOCOL). */
export const GIT_ALLOWED_PROTOCOLS = 'https:ssh:file';

/** Checks a repo URL: https://, ssh://, git@host:path, file:// or an absolute path, and nothing else. */
export function checkRepoUrl(url: string): Check {
  if (url.length === 0) return { ok: false, message: 'is empty' };
  if (url.length > 2_000) return { ok: false, message: 'is longer than 2000 characters' };
  if (url.startsWith('-')) return { ok: false, message: "must not start with '-'" };
  if (url.includes('::'))
    return { ok: false, message: "must not contain '::' (git remote helpers are refused)" };
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(url))
    return { ok: false, message: 'must not contain spaces or control characters' };
  if (SHELL_META.test(url)) return { ok: false, message: 'must not contain shell metacharacters' };
  if (url.startsWith('/')) return checkAbsolutePath(url);
  if (SCP_LIKE.test(url)) return { ok: true };
  if (SCP_SHAPE.test(url)) return checkScpLike(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      ok: false,
      message: 'must be an https://, ssh://, git@host:path or file:// URL, or an absolute path',
    };
  }
  switch (parsed.protocol) {
    case 'https:':
      if (parsed.username || parsed.password) {
        return {
          ok: false,
          message: 'must not contain credentials; store a token as the secret GIT_TOKEN instead',
        };
      }
      return parsed.hostname ? { ok: true } : { ok: false, message: 'has no host' };
    case 'ssh:':
      if (parsed.password) return { ok: false, message: 'must not contain a password' };
      if (!parsed.hostname) return { ok: false, message: 'has no host' };
      return checkSshPart('user', parsed.username) ?? checkSshPart('host', parsed.hostname) ?? { ok: true };
    case 'file:':
      return parsed.hostname && parsed.hostname !== 'localhost'
        ? { ok: false, message: 'file:// URLs must name a local path' }
        : checkAbsolutePath(decodeURIComponent(parsed.pathname));
    default:
      return {
        ok: false,
        message: `uses the transport '${parsed.protocol.replace(/:$/, '')}'; only https, ssh and file are allowed`,
      };
  }
}

/**
 * An ssh user or host must not start with '-': git hands `user@host` to ssh as an argument, and
 * `-oProxyCommand=…` would run a command. Git percent-decodes ssh URLs, so `%2D` counts too.
 */
function checkSshPart(part: 'user' | 'host', value: string): Check | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return { ok: false, message: `has a malformed %-escape in the ssh ${part}` };
  }
  return decoded.startsWith('-')
    ? { ok: false, message: `must not have an ssh ${part} starting with '-'` }
    : undefined;
}

/** A user@host:path that SCP_LIKE refused: say which part is wrong. */
function checkScpLike(url: string): Check {
  const [user, rest] = [url.slice(0, url.indexOf('@')), url.slice(url.indexOf('@') + 1)];
  const host = rest.slice(0, rest.indexOf(':'));
  return (
    checkSshPart('user', user) ??
    checkSshPart('host', host) ?? {
      ok: false,
      message:
        'is not a valid user@host:path (letters, digits, . _ - ~ / only; the path must not start with -)',
    }
  );
}

/** An absolute POSIX path with no '..' segments and no NUL byte. */
export function checkAbsolutePath(path: string): Check {
  if (!path.startsWith('/')) return { ok: false, message: 'must be an absolute path' };
  return checkPathSegments(path);
}

/** A path relative to a checkout: no leading '/', no '..' segments. Empty means the checkout itself. */
export function checkRelativePath(path: string): Check {
  if (path.startsWith('/')) return { ok: false, message: 'must be relative to the checkout' };
  if (path.startsWith('-')) return { ok: false, message: "must not start with '-'" };
  return checkPathSegments(path);
}

function checkPathSegments(path: string): Check {
  if (path.includes('\0')) return { ok: false, message: 'must not contain a NUL byte' };
  if (path.length > 1_000) return { ok: false, message: 'is longer than 1000 characters' };
  if (path.split('/').includes('..')) return { ok: false, message: "must not contain '..'" };
  return { ok: true };
}

/** A git branch name as `git check-ref-format --branch` would take it (a conservative subset). */
export function checkBranch(branch: string): Check {
  if (branch === '') return { ok: true };
  if (!/^[A-Za-z0-9._/-]{1,200}$/.test(branch)) {
    return { ok: false, message: 'may use only letters, digits, and . _ / -' };
  }
  if (branch.startsWith('-') || branch.startsWith('/') || branch.startsWith('.')) {
    return { ok: false, message: "must not start with '-', '/' or '.'" };
  }
  if (branch.includes('..') || branch.includes('//') || branch.endsWith('/') || branch.endsWith('.lock')) {
    return { ok: false, message: 'is not a valid branch name' };
  }
  return { ok: true };
}
