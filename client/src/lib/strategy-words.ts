// How a mapping gets its folder, in words that fit the environment: a Manual environment has no
// repository, so its Viber sets up a new empty folder (the `clone` strategy with nothing to clone).
import { BindingStrategy, EnvironmentType } from '@openviber/shared';

export interface StrategyWords {
  /** The choice in the mapping form. */
  option: string;
  /** What the Viber will do, under the choice. */
  hint: string;
  /** The mapping card's summary ("clones and sets up"). */
  summary: string;
}

/** The words for `strategy` in an environment of `type`. */
export function strategyWords(strategy: BindingStrategy, type: EnvironmentType): StrategyWords {
  if (strategy === BindingStrategy.existing)
    return {
      option: 'Use an existing folder',
      hint: 'The Viber uses a folder that already exists on it, and runs the setup script there.',
      summary: 'uses an existing folder',
    };
  if (type === EnvironmentType.manual)
    return {
      option: 'Set up a new folder',
      hint: 'The Viber makes a new, empty folder in its workspace and runs the setup script there.',
      summary: 'sets up a new folder',
    };
  if (type === EnvironmentType.local)
    return {
      option: 'Clone the folder and set up',
      hint: 'The Viber clones the local folder (a git repository on it) into its workspace and runs the setup script.',
      summary: 'clones the folder and sets up',
    };
  return {
    option: 'Clone and set up',
    hint: 'The Viber clones the repository into its workspace and runs the setup script.',
    summary: 'clones and sets up',
  };
}
