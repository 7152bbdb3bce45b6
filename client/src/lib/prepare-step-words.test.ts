// Every prepare step has plain words: a phrase that says what happens, never the bare internal name.
import { describe, expect, it } from 'vitest';
import { PrepareStep } from '@openviber/shared';
import { prepareStepPhrase, prepareStepWords } from './prepare-step-words.ts';

describe('prepare step words', () => {
  it('names every shared step in plain words, never by its internal name', () => {
    for (const step of Object.values(PrepareStep)) {
      const words = prepareStepWords(step);
      // A phrase that says what happens, not the bare name.
      expect(words.toLowerCase(), step).not.toBe(step);
      expect(words.split(' ').length, step).toBeGreaterThan(1);
    }
    expect(prepareStepWords(PrepareStep.source)).toBe('Getting the code');
    expect(prepareStepWords(PrepareStep.setup)).toBe('Running the setup script');
    expect(prepareStepWords(PrepareStep.health)).toBe('Checking health');
  });
  it('says nothing for an unknown step, and reads inside a sentence', () => {
    expect(prepareStepWords('teleport')).toBe('');
    expect(prepareStepWords('toString')).toBe('');
    expect(prepareStepPhrase(PrepareStep.source)).toBe('getting the code');
  });
});
