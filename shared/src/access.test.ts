import { describe, expect, it } from 'vitest';
import { Access, accessFor, type Principal } from './access.ts';
import type { UserId, ViberId } from './ids.ts';

const alice = { kind: 'user', userId: 'alice' as UserId } satisfies Principal;
const bob = { kind: 'user', userId: 'bob' as UserId } satisfies Principal;
const aliceViber = { kind: 'viber', userId: 'alice' as UserId, viberId: 'v1' as ViberId } satisfies Principal;
const bobViber = { kind: 'viber', userId: 'bob' as UserId, viberId: 'v9' as ViberId } satisfies Principal;

const docs = {
  workspace: 'u/alice/workspace',
  task: 'u/alice/task/t1',
  viber: 'u/alice/viber/v1',
  prepareLog: 'u/alice/viber/v1/prepare/b1',
  runOutput: 'u/alice/viber/v1/run/t1',
  otherViber: 'u/alice/viber/v2',
  otherViberLog: 'u/alice/viber/v2/run/t1',
};

describe('[A1] access matrix (design §3)', () => {
  it('the user reads and writes workspace and tasks, only reads Viber documents', () => {
    expect(accessFor(alice, docs.workspace)).toBe(Access.readWrite);
    expect(accessFor(alice, docs.task)).toBe(Access.readWrite);
    for (const d of [docs.viber, docs.prepareLog, docs.runOutput, docs.otherViber])
      expect(accessFor(alice, d)).toBe(Access.readOnly);
  });
  it("the user's Viber reads workspace and tasks, writes only its own documents", () => {
    expect(accessFor(aliceViber, docs.workspace)).toBe(Access.readOnly);
    expect(accessFor(aliceViber, docs.task)).toBe(Access.readOnly);
    for (const d of [docs.viber, docs.prepareLog, docs.runOutput])
      expect(accessFor(aliceViber, d)).toBe(Access.readWrite);
    expect(accessFor(aliceViber, docs.otherViber)).toBe(Access.refused);
    expect(accessFor(aliceViber, docs.otherViberLog)).toBe(Access.refused);
  });
  it("another user and another user's Viber are refused everything", () => {
    for (const d of Object.values(docs)) {
      expect(accessFor(bob, d)).toBe(Access.refused);
      expect(accessFor(bobViber, d)).toBe(Access.refused);
    }
  });
  it('unknown or malformed document names are refused', () => {
    for (const d of [
      '',
      'workspace',
      'u/alice',
      'u/alice/secrets',
      'u/alice/task',
      'u/alice/task/t1/x',
      'u/../workspace',
      'u/alice/viber/v1/other/x',
      'u/alice/workspace/',
    ]) {
      expect(accessFor(alice, d)).toBe(Access.refused);
    }
  });
});
