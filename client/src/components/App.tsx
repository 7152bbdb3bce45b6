// Signed out: the sign-in screen. Signed in: the app, its models living as long as the session.
import { useEffect, useMemo } from 'preact/hooks';
import { AppContext } from '../app-context.ts';
import { createAppModel } from '../models/app-model.ts';
import { createRouter } from '../models/router.ts';
import { createSessionModel } from '../models/session-model.ts';
import { AuthScreen } from './AuthScreen.tsx';
import { Shell } from './Shell.tsx';
import { UpdatePrompt } from './UpdatePrompt.tsx';

const sessionModel = createSessionModel();
const router = createRouter();

export function App() {
  const session = sessionModel.session.value;
  const app = useMemo(
    () => (session ? createAppModel(session, sessionModel, router) : null),
    [session?.token],
  );
  useEffect(() => () => app?.dispose(), [app]);
  return (
    <>
      {app ? (
        <AppContext.Provider value={app}>
          <Shell />
        </AppContext.Provider>
      ) : (
        <AuthScreen session={sessionModel} />
      )}
      <UpdatePrompt />
    </>
  );
}
