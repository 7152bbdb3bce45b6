// The steps of a prepare in the words a user reads: one table keyed by the shared PrepareStep enum
// (a new step without words is a type error), used by the mapping card and the setup log.
import { PrepareStep } from '@openviber/shared';

const STEP_WORDS: Record<PrepareStep, string> = {
  [PrepareStep.validate]: 'Checking the settings',
  [PrepareStep.secrets]: 'Unlocking the secrets',
  [PrepareStep.source]: 'Getting the code',
  [PrepareStep.vars]: 'Setting the variables',
  [PrepareStep.setup]: 'Running the setup script',
  [PrepareStep.maintenance]: 'Running the maintenance script',
  [PrepareStep.health]: 'Checking health',
  [PrepareStep.ready]: 'Ready for tasks',
};

/** What `step` does, capitalised ("Getting the code"); '' for a step this app does not know (a newer Viber's). */
export function prepareStepWords(step: string): string {
  return Object.hasOwn(STEP_WORDS, step) ? STEP_WORDS[step as PrepareStep] : '';
}

/** The same words inside a sentence ("failed while getting the code"). */
export function prepareStepPhrase(step: string): string {
  const words = prepareStepWords(step);
  return words.charAt(0).toLowerCase() + words.slice(1);
}
