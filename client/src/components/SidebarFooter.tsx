// Viber health at a glance, the user menu and settings.
import { useSignal } from '@preact/signals';
import { useApp } from '../app-context.ts';
import { relativeTime } from '../lib/format.ts';
import { presenceDot } from '../lib/presence-words.ts';
import { useDismiss } from '../lib/use-dismiss.ts';
import type { Theme } from '../models/ui-model.ts';
import { signOut } from '../models/sign-out.ts';

export function SidebarFooter() {
  const app = useApp();
  const menu = useSignal(false);
  const menuRoot = useDismiss<HTMLDivElement>(menu);
  const vibers = [...app.vibers.views.value.values()];
  const online = vibers.filter((v) => v.online).length;
  const lastSeen = Math.max(0, ...vibers.filter((v) => !v.online).map((v) => v.record.lastSeenAt));
  // From an offline device no Viber is known to be online or offline.
  const unknown = !app.store.browserOnline.value;
  const plural = vibers.length === 1 ? '' : 's';
  const summary = !vibers.length
    ? 'No Vibers yet'
    : unknown
      ? 'Status unknown'
      : `${online} of ${vibers.length} Viber${plural} online`;
  return (
    <div class="sidebar-footer">
      <button
        class="btn ghost grow viber-health"
        onClick={() => app.router.go({ view: 'vibers' })}
        data-testid="viber-health"
      >
        <span class={presenceDot(unknown && vibers.length ? 'unknown' : online ? 'online' : 'offline')} />
        {/* The summary keeps its width (the account name truncates first); the detail line adds no width
            of its own (width 0, at least the column's) and truncates within it. */}
        <span class="viber-health-text">
          <span>{summary}</span>
          <span class="hint truncate viber-health-detail">
            {!vibers.length
              ? 'Add one to run tasks'
              : unknown
                ? 'while you are offline'
                : online < vibers.length && lastSeen
                  ? `offline one last seen ${relativeTime(lastSeen)}`
                  : 'Manage Vibers'}
          </span>
        </span>
      </button>
      <div class="account" ref={menuRoot}>
        <button
          class="btn ghost small"
          onClick={() => (menu.value = !menu.value)}
          aria-haspopup="menu"
          aria-expanded={menu.value}
          title="Account and settings"
          aria-label={`Account and settings (${app.session.user.username})`}
        >
          <span class="truncate">{app.session.user.username}</span> ▾
        </button>
        {menu.value && (
          <div class="menu account-menu" role="menu">
            <div class="hint truncate signed-in">Signed in as {app.session.user.username}</div>
            <hr />
            <div class="hint menu-label">Theme</div>
            <div class="seg">
              {(['system', 'light', 'dark'] as Theme[]).map((t) => (
                <button
                  key={t}
                  aria-pressed={app.ui.theme.value === t}
                  onClick={() => (app.ui.theme.value = t)}
                >
                  {t}
                </button>
              ))}
            </div>
            <hr />
            <button
              role="menuitem"
              onClick={() => {
                menu.value = false;
                app.router.go({ view: 'vibers' });
              }}
            >
              Vibers
            </button>
            <button
              role="menuitem"
              onClick={() => {
                menu.value = false;
                app.router.go({ view: 'trust' });
              }}
              data-testid="menu-trust"
            >
              Signing key and approvals
            </button>
            {app.signing.fingerprint.value && (
              <div class="hint wrap-anywhere menu-key">
                Key <code class="fp">{app.signing.fingerprint.value}</code>
              </div>
            )}
            <button
              role="menuitem"
              data-testid="menu-sign-out"
              onClick={() => {
                menu.value = false;
                void signOut(app);
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
