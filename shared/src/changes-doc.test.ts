import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Access, accessFor } from './access.ts';
import { pushView, readChanges, readPushResult, writeChanges, type PushResult } from './changes-doc.ts';
import { changesDocName, parseDocName } from './doc-names.ts';
import type { UserId, ViberId } from './ids.ts';
import { checkPushBranch } from './push-branch.ts';
import { MAX_CHANGES_FILES, MAX_CHANGES_PATCH_CHARS } from './limits.ts';
import {
  findPushRequest,
  latestPushRequest,
  pushRequestsArray,
  requestPush,
  signPushRequest,
  type PushRequest,
} from './task-doc.ts';
import { DeletionSet } from './workspace-deletions.ts';

const user = { kind: 'user', userId: 'alice' as UserId } as const;
const viber = (id: string) => ({ kind: 'viber', userId: 'alice' as UserId, viberId: id as ViberId }) as const;

describe('a task changes document', () => {
  it('[S1] u/<uid>/viber/<vid>/changes/<taskId> is a document name; [S2] its Viber writes it, the user reads it', () => {
    const name = changesDocName('alice', 'v1', 't1');
    expect(parseDocName(name)).toEqual({ kind: 'changes', userId: 'alice', viberId: 'v1', taskId: 't1' });
    expect(parseDocName('u/alice/viber/v1/changes/t1/x')).toBeNull();
    expect(parseDocName('u/alice/viber/v1/changes/../t1')).toBeNull();
    expect(accessFor(user, name)).toBe(Access.readOnly);
    expect(accessFor(viber('v1'), name)).toBe(Access.readWrite);
    expect(accessFor(viber('v2'), name)).toBe(Access.refused);
    expect(accessFor({ kind: 'user', userId: 'bob' as UserId }, name)).toBe(Access.refused);
  });

  it('[D7] it belongs to its task and to its Viber: deleting either collects it', () => {
    const name = changesDocName('alice', 'v1', 't1');
    expect(new DeletionSet([{ kind: 'task', id: 't1' }]).ownsDocument(name)).toBe(true);
    expect(new DeletionSet([{ kind: 'viber', id: 'v1' }]).ownsDocument(name)).toBe(true);
    expect(new DeletionSet([{ kind: 'task', id: 't2' }]).ownsDocument(name)).toBe(false);
  });

  it('[S6] readers never throw on what a peer stored', () => {
    const doc = new Y.Doc();
    expect(readChanges(doc)).toBeNull();
    doc.getMap('changes').set('current', '{not json');
    doc.getMap('changes').set('push', JSON.stringify({ state: 'exploded' }));
    expect(readChanges(doc)).toBeNull();
    expect(readPushResult(doc)).toBeNull();
    doc
      .getMap('changes')
      .set('current', JSON.stringify({ files: [{ path: 1 }, { path: 'a', status: 'added' }] }));
    expect(readChanges(doc)?.files).toEqual([
      {
        path: 'a',
        status: 'added',
        additions: 0,
        deletions: 0,
        binary: false,
        patchBytes: 0,
        truncated: false,
      },
    ]);
    const changes = { baseRevision: 'abc', files: [], patch: 'p', truncated: false, updatedAt: 5 };
    writeChanges(doc, changes);
    expect(readChanges(doc)).toEqual(changes);
    // Past the writer's limits (a hostile Viber): read bounded, and marked truncated.
    const file = {
      path: 'f',
      status: 'modified',
      additions: 1,
      deletions: 0,
      binary: false,
      patchBytes: 1,
      truncated: false,
    };
    doc.getMap('changes').set(
      'current',
      JSON.stringify({
        files: Array.from({ length: MAX_CHANGES_FILES + 500 }, (_, i) => ({ ...file, path: `f${i}` })),
        patch: 'x'.repeat(MAX_CHANGES_PATCH_CHARS + 10),
      }),
    );
    const read = readChanges(doc)!;
    expect(read.files).toHaveLength(MAX_CHANGES_FILES);
    expect(read.patch).toHaveLength(MAX_CHANGES_PATCH_CHARS);
    expect(read.truncated).toBe(true);
  });

  it('push requests are shaped like messages; the newest well-formed one wins', () => {
    const doc = new Y.Doc();
    expect(latestPushRequest(doc)).toBeNull();
    const first = requestPush(doc, { branch: 'ov/a' }, 1);
    expect(latestPushRequest(doc)).toEqual({
      id: first.id,
      branch: 'ov/a',
      commitMessage: '',
      requestedAt: 1,
      signature: '',
    });
    const second = requestPush(doc, { branch: 'ov/b', commitMessage: 'm' }, 2);
    pushRequestsArray(doc).push(['garbage']);
    expect(latestPushRequest(doc)).toMatchObject({ id: second.id, branch: 'ov/b', commitMessage: 'm' });
  });

  it('[T4] a push request carries the id a device signed and its signature; Approve adds one; a malformed one reads unsigned', () => {
    const doc = new Y.Doc();
    const signature = `${'A'.repeat(86)}==`;
    requestPush(doc, { branch: 'ov/a' }, 1, { requestId: 'push_signed', signature });
    expect(latestPushRequest(doc)).toMatchObject({ id: 'push_signed', signature });
    const api = requestPush(doc, { branch: 'ov/b' }, 2);
    expect(findPushRequest(doc, api.id)).toMatchObject({ signature: '' });
    expect(signPushRequest(doc, api.id, 'short')).toBe(false);
    expect(signPushRequest(doc, api.id, signature)).toBe(true);
    expect(latestPushRequest(doc)).toMatchObject({ id: api.id, signature });
    expect(findPushRequest(doc, 'push_signed')).toMatchObject({ branch: 'ov/a' });
    (pushRequestsArray(doc).get(1) as Y.Map<unknown>).set('signature', 42);
    expect(latestPushRequest(doc)).toMatchObject({ id: api.id, signature: '' });
  });
});

describe('a push branch name', () => {
  const gitAccepts = (name: string) => {
    try {
      execFileSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const names = [
    'ov/test',
    'main',
    'feature/x-1',
    'a.b',
    'v1.2.3',
    'u_s',
    '',
    '-f',
    '--force',
    '-',
    'a..b',
    'x.lock',
    'a/x.lock/b',
    'a/.b',
    '.a',
    'a/',
    '/a',
    'a//b',
    'end.',
    'HEAD',
    '@',
    'a@{1}',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[b',
    'a\\b',
    'a\tb',
    'a\nb',
    '--upload-pack=x',
    'refs/heads/../x',
    'ü',
    'x'.repeat(201),
  ];
  it.each(names)(
    '%j: accepted only if git check-ref-format --branch accepts it, and never with a leading -',
    (name) => {
      const ours = checkPushBranch(name).ok;
      if (ours) {
        expect(gitAccepts(name)).toBe(true);
        expect(name.startsWith('-')).toBe(false);
      }
      if (!gitAccepts(name)) expect(ours).toBe(false);
    },
  );
  it('the usual names are accepted', () => {
    for (const name of ['ov/test', 'main', 'feature/x-1', 'v1.2.3'])
      expect(checkPushBranch(name)).toEqual({ ok: true });
    expect(checkPushBranch(undefined)).toEqual({ ok: false, message: 'is required' });
  });
});

describe('pushView: where a push stands, for the API and the app alike', () => {
  const request = (id: string): PushRequest => ({ ...requestPush(new Y.Doc(), { branch: 'ov/x' }, 1), id });
  const result = (requestId: string, state: PushResult['state']): PushResult => ({
    requestId,
    branch: 'ov/x',
    state,
    commit: state === 'pushed' ? 'abc123' : '',
    error: '',
    updatedAt: 2,
  });

  it('is none before any request', () => {
    expect(pushView(null, null)).toEqual({ state: 'none' });
  });

  it('waits for the Viber while the newest request has no answer of its own', () => {
    expect(pushView(request('push_2'), null).state).toBe('requested');
    // The answer to an earlier push is not this push's answer.
    expect(pushView(request('push_2'), result('push_1', 'pushed')).state).toBe('requested');
  });

  it("shows the Viber's answer to the newest request", () => {
    const view = pushView(request('push_1'), result('push_1', 'pushed'));
    expect(view.state).toBe('pushed');
    expect(view.state === 'pushed' && view.result.commit).toBe('abc123');
    expect(pushView(request('push_1'), result('push_1', 'failed')).state).toBe('failed');
  });
});
