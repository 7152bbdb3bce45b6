// The draft of a new task in the current environment: the first message creates it.
import { useApp } from '../app-context.ts';
import { composerDraftId } from '../models/composer-draft.ts';
import { createTaskWithMessage, pickViber } from '../models/new-task.ts';
import { Composer } from './Composer.tsx';
import { EnvErrorWarning } from './EnvErrorWarning.tsx';

export function NewTaskView() {
  const app = useApp();
  const env = app.ui.currentEnv.value;
  if (!env) {
    return (
      <div class="page">
        <div class="callout">
          Create an environment first: tasks run inside one.{' '}
          <a href="#/environments/new">Create environment</a>
        </div>
      </div>
    );
  }
  const viberId = pickViber(app, env);
  const viber = viberId ? app.vibers.views.value.get(viberId) : undefined;
  return (
    <div class="page task-page">
      <div class="page-head">
        <div>
          <h1 class="wrap-anywhere">New task in {env.name}</h1>
          <p>
            {viber
              ? `Runs on ${viber.record.name}${viber.online ? '' : app.store.browserOnline.value ? ' (offline now: it runs when the Viber is back)' : ''}.`
              : 'This environment is not mapped to a Viber yet: the task waits until you map it.'}{' '}
            {env.agentCommand
              ? `Each message is handed to \`${env.agentCommand}\`.`
              : 'Each message runs as a bash command in the environment’s working directory.'}
          </p>
        </div>
      </div>
      <EnvErrorWarning env={env} />
      {!viber && (
        <div class="callout warn">
          <a href={`#/environments/${env.id}/mappings`}>Map {env.name} to a Viber</a> to run tasks in it.
        </div>
      )}
      <div class="hero task-hero">
        <h2>What should run?</h2>
        <p>The first line becomes the task’s title.</p>
      </div>
      <Composer
        draftId={composerDraftId('new')}
        disabled={false}
        autoFocus
        onSend={(text) => createTaskWithMessage(app, env, text)}
        placeholder={env.agentCommand ? 'Message to the agent…' : 'A shell command, e.g. npm test'}
      />
    </div>
  );
}
