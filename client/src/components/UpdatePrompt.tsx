// Tells the user when a new version is ready and reloads into it on request.
import { useRegisterSW } from 'virtual:pwa-register/preact';

export function UpdatePrompt() {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    updateServiceWorker,
  } = useRegisterSW({ immediate: true });
  if (!needRefresh) return null;
  return (
    <div class="toast" role="status">
      A new version of OpenViber is ready.
      <button class="btn primary" onClick={() => void updateServiceWorker(true)}>
        Reload
      </button>
      <button class="btn ghost" onClick={() => setNeedRefresh(false)}>
        Later
      </button>
    </div>
  );
}
