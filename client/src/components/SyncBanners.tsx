// What keeps this device from syncing, said where the user is: an ended session, or a document a
// server limit refused (its reason names the limit). Shown above the main view, and on a phone's
// home screen (the sidebar) too, where the main view is hidden.
import { useApp } from '../app-context.ts';

export function SyncBanners() {
  const app = useApp();
  const refusal = app.refusal.value;
  return (
    <>
      {app.sessionModel.expired.value && (
        <div class="page page-banner">
          <div class="callout warn row">
            <span class="grow">
              Your session has ended, so changes stay on this device and do not sync. Sign in again to sync
              them.
            </span>
            <button class="btn small" onClick={() => void app.sessionModel.reauthenticate()}>
              Sign in again
            </button>
          </div>
        </div>
      )}
      {refusal && (
        <div class="page page-banner">
          <div class="callout warn row" data-testid="limit-refusal">
            <span class="grow wrap-anywhere">
              The server refused to sync a document: {refusal.reason}. Your changes stay on this device, and
              the app keeps trying.
            </span>
            <button class="btn small" onClick={() => app.store.retryRefusedNow()}>
              Try again
            </button>
          </div>
        </div>
      )}
    </>
  );
}
