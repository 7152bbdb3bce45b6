// [V1] The "stored?" question and its answer are read from any stateless payload: hostile or
// unrelated ones are ignored, never thrown on, and never name more than MAX_STORE_QUESTION_DOCS.
import { describe, expect, it } from 'vitest';
import { MAX_STORE_QUESTION_DOCS, parseStoreAnswer, parseStoreQuestion } from './store-status.ts';

describe('store status messages', () => {
  it('[V1] reads a question and an answer; ignores every other payload', () => {
    expect(parseStoreQuestion('{"t":"stored?","id":3,"docs":["u/a/viber/v"]}')).toEqual({
      t: 'stored?',
      id: 3,
      docs: ['u/a/viber/v'],
    });
    expect(parseStoreAnswer('{"t":"stored","id":3,"unstored":[]}')).toEqual({
      t: 'stored',
      id: 3,
      unstored: [],
    });
    const hostile = [
      '',
      'not json',
      'null',
      '[]',
      '"stored?"',
      '{"t":"stored?","id":"3","docs":[]}',
      '{"t":"stored?","id":1.5,"docs":[]}',
      '{"t":"stored?","id":1,"docs":"u/a/workspace"}',
      '{"t":"stored?","id":1,"docs":[1]}',
      `{"t":"stored?","id":1,"docs":["${'x'.repeat(600)}"]}`,
      JSON.stringify({ t: 'stored?', id: 1, docs: Array(MAX_STORE_QUESTION_DOCS + 1).fill('u/a/workspace') }),
      '{"__proto__":{"t":"stored?"},"id":1,"docs":[]}',
      '{"t":"stored","id":1,"docs":[]}',
    ];
    for (const payload of hostile) expect(parseStoreQuestion(payload), payload.slice(0, 60)).toBeNull();
    expect(parseStoreAnswer('{"t":"stored?","id":1,"docs":[]}')).toBeNull();
    expect(parseStoreAnswer('{"t":"stored","id":1,"unstored":[null]}')).toBeNull();
  });
});
