// A Manual environment has nothing to clone: its mapping never says it clones.
import { describe, expect, it } from 'vitest';
import { BindingStrategy, EnvironmentType } from '@openviber/shared';
import { strategyWords } from './strategy-words.ts';

describe('strategy words', () => {
  it('never offers or reports a clone for a Manual environment', () => {
    for (const strategy of Object.values(BindingStrategy)) {
      const words = strategyWords(strategy, EnvironmentType.manual);
      expect(Object.values(words).join(' ')).not.toMatch(/clone/i);
    }
    expect(strategyWords(BindingStrategy.clone, EnvironmentType.manual).option).toBe('Set up a new folder');
  });
  it('says clone where there is a repository', () => {
    expect(strategyWords(BindingStrategy.clone, EnvironmentType.github).summary).toBe('clones and sets up');
    expect(strategyWords(BindingStrategy.existing, EnvironmentType.github).option).toBe(
      'Use an existing folder',
    );
  });
});
