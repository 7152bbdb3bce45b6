// One thing a pinned Viber would not run: what exactly would run, and Approve (signs it) when it is
// only unsigned; a bad signature or a rollback is shown plainly, never signed over from here.
import { useSignal } from '@preact/signals';
import { Fragment } from 'preact';
import { useEffect } from 'preact/hooks';
import {
  findPushRequest,
  listMessages,
  taskDocName,
  type Environment,
  type Message,
  type PushRequest,
} from '@openviber/shared';
import { useApp } from '../app-context.ts';
import { splitRefusalId, type Approval } from '../models/approvals.ts';
import { KeyFingerprint } from './KeyFingerprint.tsx';

const REASON_WORDS: Record<string, string> = {
  unsigned: 'Awaiting approval',
  'bad signature': 'Refused: bad signature',
  'rolled back': 'Refused: rolled back',
};

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
          {refusal.kind} · seen by {approval.viberName}
        </span>
      </div>
      {unsigned && refusal.detail && <p class="hint wrap-anywhere">{refusal.detail}</p>}
      {!unsigned && (
        <p class="hint wrap-anywhere">
          {refusal.reason === 'rolled back'
            ? 'This is an older version than one your Viber already accepted, so it will not run. Save the environment again to sign its current content.'
            : 'Its signature is not your key’s over exactly this content: it was changed after you signed it, and will not run.'}{' '}
          {refusal.detail}
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

function ApproveButton({ label, onApprove }: { label: string; onApprove: () => Promise<unknown> }) {
  const app = useApp();
  const busy = useSignal(false);
  if (!app.signing.canSign.value)
    return <p class="hint">This device does not hold your signing key, so it cannot approve.</p>;
  return (
    <button
      class="btn primary small"
      disabled={busy.value}
      data-testid="approve"
      onClick={() => {
        busy.value = true;
        void onApprove().finally(() => (busy.value = false));
      }}
    >
      {label}
    </button>
  );
}

function MessageDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const [taskId, messageId] = splitRefusalId(approval.refusal.id);
  const task = app.workspace.tasks.value.find((t) => t.id === taskId);
  const env = app.workspace.environments.value.find((e) => e.id === task?.environmentId);
  const message = useSignal<Message | undefined>(undefined);
  const handle = useSignal<ReturnType<typeof app.store.open> | null>(null);
  useEffect(() => {
    const opened = app.store.open(taskDocName(app.userId, taskId));
    handle.value = opened;
    const read = () => (message.value = listMessages(opened.doc).find((m) => m.id === messageId));
    read();
    opened.doc.on('update', read);
    return () => {
      opened.doc.off('update', read);
      opened.release();
    };
  }, [taskId, messageId]);
  const m = message.value;
  const isCancel = approval.refusal.kind === 'cancel';
  return (
    <>
      <dl class="approval-spec">
        <dt>Task</dt>
        <dd>{task?.title ?? taskId}</dd>
        <dt>Environment</dt>
        <dd>{env?.name ?? task?.environmentId ?? '—'}</dd>
        <dt>Runs on</dt>
        <dd>{approval.viberName}</dd>
        <dt>{isCancel ? 'Stops' : 'Runs'}</dt>
        <dd>
          <pre class="approval-text" data-testid="approval-text">
            {m?.text ?? 'Loading…'}
          </pre>
        </dd>
      </dl>
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
              <pre class="approval-text">{v}</pre>
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
  return (
    <>
      <p>
        Environment <strong>{env.name}</strong>
      </p>
      <SpecList env={env} />
      {Object.keys(env.secrets).length > 0 && approval.refusal.reason === 'unsigned' && (
        <p class="hint">
          The app cannot read sealed secrets: approving also accepts the values stored for{' '}
          {Object.keys(env.secrets).join(', ')}. If you did not set them, enter them again in the environment
          instead.
        </p>
      )}
      {approval.refusal.reason === 'unsigned' && (
        <ApproveButton
          label="Approve this environment"
          onApprove={() => app.signing.approveEnvironment(env)}
        />
      )}
    </>
  );
}

function BindingDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const binding = app.workspace.bindings.value.find((b) => b.id === approval.refusal.id);
  const env = app.workspace.environments.value.find((e) => e.id === binding?.environmentId);
  const viber = app.workspace.vibers.value.find((v) => v.id === binding?.viberId);
  if (!binding || !viber) return <p class="hint">This mapping is not in your workspace (any more).</p>;
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
      {approval.refusal.reason === 'unsigned' && (
        <ApproveButton label="Approve this mapping" onApprove={() => app.signing.signBinding(binding.id)} />
      )}
    </>
  );
}

/** A push request (e.g. from the REST API): the branch and commit message exactly as the Viber would push. */
function PushDetails({ approval }: { approval: Approval }) {
  const app = useApp();
  const [taskId, requestId] = splitRefusalId(approval.refusal.id);
  const task = app.workspace.tasks.value.find((t) => t.id === taskId);
  const env = app.workspace.environments.value.find((e) => e.id === task?.environmentId);
  const request = useSignal<PushRequest | null>(null);
  const handle = useSignal<ReturnType<typeof app.store.open> | null>(null);
  useEffect(() => {
    const opened = app.store.open(taskDocName(app.userId, taskId));
    handle.value = opened;
    const read = () => (request.value = findPushRequest(opened.doc, requestId));
    read();
    opened.doc.on('update', read);
    return () => {
      opened.doc.off('update', read);
      opened.release();
    };
  }, [taskId, requestId]);
  const r = request.value;
  return (
    <>
      <dl class="approval-spec">
        <dt>Task</dt>
        <dd>{task?.title ?? taskId}</dd>
        <dt>Environment</dt>
        <dd>{env?.name ?? task?.environmentId ?? '—'}</dd>
        <dt>Commits and pushes on</dt>
        <dd>{approval.viberName}</dd>
        <dt>To branch</dt>
        <dd>
          <pre class="approval-text" data-testid="approval-text">
            {r?.branch ?? 'Loading…'}
          </pre>
        </dd>
        <dt>Commit message</dt>
        <dd>
          <pre class="approval-text">{r ? r.commitMessage || `(the task’s title)` : '…'}</pre>
        </dd>
      </dl>
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
