// One thing a pinned Viber would not run (or this app found changed outside it): what exactly would run,
// and Approve, which signs exactly what is shown. A message or cancel with a bad signature is shown
// plainly, never signed over from here; an environment or a mapping in any state can be approved after
// review ([T10], [T11]) — that is the one way to sign content the app did not write itself.
import { useSignal } from '@preact/signals';
import { Fragment } from 'preact';
import { useEffect } from 'preact/hooks';
import type * as Y from 'yjs';
import { findPushRequest, listMessages, taskDocName, type Environment, type Task } from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { acceptedSpecVersion, splitRefusalId, type Approval } from '../models/approvals.ts';
import { ApproveButton } from './ApproveButton.tsx';
import { KeyFingerprint } from './KeyFingerprint.tsx';
import { ViberKeyChanged } from './ViberKeyChanged.tsx';
import { HiddenCharsWarning, RevealedText } from './RevealedText.tsx';

const REASON_WORDS: Record<string, string> = {
  unsigned: 'Awaiting approval',
  'bad signature': 'Refused: bad signature',
  'rolled back': 'Refused: rolled back',
};

/** Why it will not run, and (for what can be approved after review) what Approve does about it. */
function refusedWords({ refusal }: Approval): string {
  const reviewable = refusal.kind === 'environment' || refusal.kind === 'binding';
  if (refusal.reason === 'rolled back')
    return refusal.acceptedVersion
      ? `This is an older version than one your Viber already accepted (version ${refusal.acceptedVersion}), so it will not run. Approve signs exactly what is shown below as a newer version: review it first, it may bring back an older script.`
      : 'This is an older version than one you already signed, so it will not run. Approve signs exactly what is shown below as a newer version: review it first, it may bring back an older script.';
  return `Its signature is not your key’s over exactly this content: it was changed after you signed it, and will not run.${
    reviewable ? ' Review it below: Approve signs exactly what is shown.' : ''
  }`;
}

export function ApprovalItem({ approval }: { approval: Approval }) {
  const { refusal } = approval;
  const unsigned = refusal.reason === 'unsigned';
  return (
    <li class="card approval" data-testid="approval" data-kind={refusal.kind} data-reason={refusal.reason}>
      <div class="row">
        <strong class={unsigned ? '' : 'field-error'}>
          {REASON_WORDS[refusal.reason] ?? refusal.reason}
        </strong>
        <span class="hint">
          {refusal.kind} · {approval.viberId ? `seen by ${approval.viberName}` : 'found by this app'}
        </span>
      </div>
      {unsigned && refusal.detail && <p class="hint wrap-anywhere">{refusal.detail}</p>}
      {!unsigned && (
        <p class="hint wrap-anywhere">
          {refusedWords(approval)} {refusal.detail}
        </p>
      )}
      <Details approval={approval} />
    </li>
  );
}

function Details({ approval }: { approval: Approval }) {
  const { refusal } = approval;
  switch (refusal.kind) {
    case 'message':
    case 'cancel':
      return <MessageDetails approval={approval} />;
    case 'environment':
      return <EnvironmentDetails approval={approval} />;
    case 'binding':
      return <BindingDetails approval={approval} />;
    case 'push':
      return <PushDetails approval={approval} />;
    default:
      return <SecretDetails approval={approval} />;
  }
}

/** Holds the task's document open while shown and reads `read(doc)` from it, live. */
function useTaskDocValue<T>(taskId: string, itemId: string, read: (doc: Y.Doc) => T) {
  const app = useApp();
  const value = useSignal<T | undefined>(undefined);
  const handle = useSignal<ReturnType<typeof app.store.open> | null>(null);
  useEffect(() => {
    const opened = app.store.open(taskDocName(app.userId, taskId));
    handle.value = opened;
    const update = () => (value.value = read(opened.doc));
    update();
    opened.doc.on('update', update);
    return () => {
      opened.doc.off('update', update);
      opened.release();
    };
  }, [taskId, itemId]);
  return { value: value.value, handle };
}

/** The first rows of a task's approval: which task, in which environment. */
function TaskRows({ taskId, task }: { taskId: string; task: Task | undefined }) {
  const app = useApp();
  const env = app.workspace.environments.value.find((e) => e.id === task?.environmentId);
  return (
    <>
      <dt>Task</dt>
      <dd>{task?.title ?? taskId}</dd>
      <dt>Environment</dt>
      <dd>{env?.name ?? task?.environmentId ?? '—'}</dd>
    </>
  );
}

function MessageDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const [taskId, messageId] = splitRefusalId(approval.refusal.id);
  const task = app.workspace.tasks.value.find((t) => t.id === taskId);
  const { value: m, handle } = useTaskDocValue(taskId, messageId, (doc) =>
    listMessages(doc).find((x) => x.id === messageId),
  );
  const isCancel = approval.refusal.kind === 'cancel';
  return (
    <>
      <dl class="approval-spec">
        <TaskRows taskId={taskId} task={task} />
        <dt>Runs on</dt>
        <dd>{approval.viberName}</dd>
        <dt>{isCancel ? 'Stops' : 'Runs'}</dt>
        <dd>
          <pre class="approval-text" data-testid="approval-text">
            {m ? <RevealedText text={m.text} /> : 'Loading…'}
          </pre>
        </dd>
      </dl>
      {m && <HiddenCharsWarning texts={[m.text]} />}
      {approval.refusal.reason === 'unsigned' && task && m && handle.value && (
        <ApproveButton
          label={isCancel ? 'Approve the cancel' : 'Approve and run'}
          onApprove={() =>
            isCancel
              ? app.signing.cancel(handle.value!.doc, taskId, [messageId], () => undefined)
              : app.signing.approveMessage(handle.value!.doc, {
                  taskId,
                  environmentId: task.environmentId,
                  viberId: task.viberId,
                  messageId,
                })
          }
        />
      )}
    </>
  );
}

/** The words for an execution-spec field (the intent's field names are not for people). */
const SPEC_LABELS: Record<string, string> = {
  type: 'Type',
  repoUrl: 'Repository',
  repoBranch: 'Branch',
  localPath: 'Local path',
  containerImage: 'Container image',
  workingDir: 'Working directory',
  setupMode: 'Setup',
  setupScript: 'Setup script',
  maintenanceScript: 'Maintenance script',
  agentCommand: 'Agent command',
  networkAccess: 'Network',
  persistVolume: 'Persistent volume',
  vars: 'Variables',
  secrets: 'Secrets',
};

/** Everything of the spec a Viber runs or passes on as text. */
const specTexts = (env: Environment) => [
  env.repoUrl,
  env.repoBranch,
  env.localPath,
  env.containerImage,
  env.workingDir,
  env.setupScript,
  env.maintenanceScript,
  env.agentCommand,
  ...Object.entries(env.vars).map(([k, v]) => `${k}=${v}`),
];

function SpecList({ env }: { env: Environment }) {
  const rows: [string, string][] = [
    ['Type', env.type],
    ['Repository', env.repoUrl],
    ['Branch', env.repoBranch],
    ['Local path', env.localPath],
    ['Container image', env.containerImage],
    ['Working directory', env.workingDir],
    ['Setup', env.setupMode],
    ['Setup script', env.setupScript],
    ['Maintenance script', env.maintenanceScript],
    ['Agent command', env.agentCommand],
    ['Network', env.networkAccess ? 'on' : 'off'],
    ['Persistent volume', env.persistVolume ? 'yes' : 'no'],
    [
      'Variables',
      Object.entries(env.vars)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    ],
    ['Secrets', Object.keys(env.secrets).join(', ')],
  ];
  return (
    <dl class="approval-spec">
      {rows
        .filter(([, v]) => v !== '')
        .map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>
              <pre class="approval-text">
                <RevealedText text={v} />
              </pre>
            </dd>
          </Fragment>
        ))}
    </dl>
  );
}

function EnvironmentDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const env = app.workspace.environments.value.find((e) => e.id === approval.refusal.id);
  if (!env) return <p class="hint">This environment is not in your workspace (any more).</p>;
  const known = app.signing.review.value.changes.get(env.id);
  return (
    <>
      <p class="wrap-anywhere">
        Environment <strong>{env.name}</strong>
      </p>
      {known && known.changes.length > 0 && (
        <div data-testid="spec-changes">
          <p class="hint">Changed since version {known.knownVersion}, the newest you signed:</p>
          <dl class="approval-spec">
            {known.changes.map((c) => (
              <Fragment key={c.field}>
                <dt>{SPEC_LABELS[c.field] ?? c.field}</dt>
                <dd>
                  <pre class="approval-text">
                    <del>{c.was ? <RevealedText text={c.was} /> : '(empty)'}</del>
                  </pre>
                  <pre class="approval-text">
                    <ins>{c.now ? <RevealedText text={c.now} /> : '(empty)'}</ins>
                  </pre>
                </dd>
              </Fragment>
            ))}
          </dl>
          <p class="hint">In full, as it would run:</p>
        </div>
      )}
      <SpecList env={env} />
      <HiddenCharsWarning texts={specTexts(env)} />
      {Object.keys(env.secrets).length > 0 && (
        <p class="hint">
          The app cannot read sealed secrets: approving also accepts the values stored for{' '}
          {Object.keys(env.secrets).join(', ')}. If you did not set them, enter them again in the environment
          instead.
        </p>
      )}
      <ApproveButton
        label="Approve this environment"
        onApprove={() =>
          app.signing.approveEnvironment(env, acceptedSpecVersion(app.vibers.views.value, env.id))
        }
      />
    </>
  );
}

function BindingDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const binding = app.workspace.bindings.value.find((b) => b.id === approval.refusal.id);
  const env = app.workspace.environments.value.find((e) => e.id === binding?.environmentId);
  const viber = app.workspace.vibers.value.find((v) => v.id === binding?.viberId);
  if (!binding || !viber) return <p class="hint">This mapping is not in your workspace (any more).</p>;
  const keyChanged = app.signing.review.value.bindings.get(binding.id) === 'key changed';
  const confirmed = app.signing.review.value.viberKeys[viber.id];
  return (
    <>
      <dl class="approval-spec">
        <dt>Prepare</dt>
        <dd>{env?.name ?? binding.environmentId}</dd>
        <dt>On</dt>
        <dd>
          {viber.name} (key <KeyFingerprint publicKey={viber.publicKey} />)
        </dd>
        <dt>How</dt>
        <dd>
          {binding.strategy === 'existing'
            ? `in the existing folder ${binding.existingPath}`
            : 'a fresh clone'}
        </dd>
      </dl>
      {keyChanged ? (
        <ViberKeyChanged viberId={viber.id} name={viber.name} now={viber.publicKey} confirmed={confirmed} />
      ) : (
        <ApproveButton label="Approve this mapping" onApprove={() => app.signing.approveBinding(binding)} />
      )}
    </>
  );
}

/** A push request (e.g. from the REST API): the branch and commit message exactly as the Viber would push. */
function PushDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const [taskId, requestId] = splitRefusalId(approval.refusal.id);
  const task = app.workspace.tasks.value.find((t) => t.id === taskId);
  const { value: r, handle } = useTaskDocValue(taskId, requestId, (doc) => findPushRequest(doc, requestId));
  return (
    <>
      <dl class="approval-spec">
        <TaskRows taskId={taskId} task={task} />
        <dt>Commits and pushes on</dt>
        <dd>{approval.viberName}</dd>
        <dt>To branch</dt>
        <dd>
          <pre class="approval-text" data-testid="approval-text">
            {r ? <RevealedText text={r.branch} /> : 'Loading…'}
          </pre>
        </dd>
        <dt>Commit message</dt>
        <dd>
          <pre class="approval-text">
            {r ? r.commitMessage ? <RevealedText text={r.commitMessage} /> : `(the task’s title)` : '…'}
          </pre>
        </dd>
      </dl>
      {r && <HiddenCharsWarning texts={[r.branch, r.commitMessage]} />}
      {approval.refusal.reason === 'unsigned' && task && r && handle.value && (
        <ApproveButton
          label="Approve and push"
          onApprove={() =>
            app.signing.approvePush(handle.value!.doc, {
              taskId,
              environmentId: task.environmentId,
              viberId: task.viberId,
              requestId,
            })
          }
        />
      )}
    </>
  );
}

function SecretDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const [envId, key] = splitRefusalId(approval.refusal.id);
  const env = app.workspace.environments.value.find((e) => e.id === envId);
  return (
    <>
      <p class="wrap-anywhere">
        Secret <code>{key}</code> of <strong>{env?.name ?? envId}</strong>, sealed for {approval.viberName}.
        The app cannot read a sealed value: approve only if you just set it (a copy one of your Vibers
        re-sealed needs no approval). Otherwise enter the value again in the environment.
      </p>
      {approval.refusal.reason === 'unsigned' && env && (
        <ApproveButton
          label="Approve this secret"
          onApprove={() => app.signing.approveSealedCopy(envId, key, approval.viberId)}
        />
      )}
    </>
  );
}
