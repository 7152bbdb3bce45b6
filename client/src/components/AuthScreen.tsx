// Sign up or sign in; the session is then cached so the app opens offline.
import { useSignal } from '@preact/signals';
import { credentialsSchema, validate } from '@openviber/shared';
import { ApiRequestError } from '../api/http.ts';
import type { SessionModel } from '../models/session-model.ts';

export function AuthScreen({ session }: { session: SessionModel }) {
  const mode = useSignal<'signup' | 'login'>(session.expired.value ? 'login' : 'signup');
  const username = useSignal('');
  const password = useSignal('');
  const errors = useSignal<Record<string, string>>({});
  const busy = useSignal(false);

  async function submit(e: Event) {
    e.preventDefault();
    const parsed = validate(credentialsSchema, { username: username.value, password: password.value });
    if (!parsed.ok) {
      errors.value = Object.fromEntries(
        parsed.error.issues.map((i) => [
          i.field,
          `${i.field === 'username' ? 'Username' : 'Password'} ${i.message}`,
        ]),
      );
      return;
    }
    errors.value = {};
    busy.value = true;
    try {
      await (mode.value === 'signup' ? session.signup : session.login)(username.value, password.value);
    } catch (error) {
      const message = error instanceof ApiRequestError ? error.message : 'Something went wrong. Try again.';
      errors.value =
        error instanceof ApiRequestError && error.field ? { [error.field]: message } : { form: message };
    } finally {
      busy.value = false;
    }
  }

  const isSignup = mode.value === 'signup';
  return (
    <div class="center">
      <div class="auth">
        <div class="brand">
          <img src="/favicon.svg" alt="" width={28} height={28} /> OpenViber
        </div>
        <form class="card" onSubmit={submit} noValidate>
          <h1>{isSignup ? 'Create your account' : 'Welcome back'}</h1>
          <p class="hint auth-intro">
            Environments and tasks on your own machines. Secrets are encrypted in your browser.
          </p>
          {session.expired.value && (
            <div class="callout warn">Your session ended. Sign in again to keep syncing.</div>
          )}
          <div class={`field ${errors.value.username ? 'invalid' : ''}`}>
            <label for="username">Username</label>
            <input
              id="username"
              name="username"
              autoComplete="username"
              aria-invalid={Boolean(errors.value.username)}
              aria-describedby={errors.value.username ? 'username-error' : undefined}
              value={username.value}
              onInput={(e) => (username.value = e.currentTarget.value)}
            />
            {errors.value.username && (
              <span class="field-error" role="alert" id="username-error">
                {errors.value.username}
              </span>
            )}
          </div>
          <div class={`field ${errors.value.password ? 'invalid' : ''}`}>
            <label for="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete={isSignup ? 'new-password' : 'current-password'}
              aria-invalid={Boolean(errors.value.password)}
              aria-describedby={
                errors.value.password ? 'password-error' : isSignup ? 'password-hint' : undefined
              }
              value={password.value}
              onInput={(e) => (password.value = e.currentTarget.value)}
            />
            {errors.value.password ? (
              <span class="field-error" role="alert" id="password-error">
                {errors.value.password}
              </span>
            ) : (
              isSignup && (
                <span class="hint" id="password-hint">
                  At least 8 characters.
                </span>
              )
            )}
          </div>
          {errors.value.form && (
            <div class="callout err" role="alert">
              {errors.value.form}
            </div>
          )}
          <button class="btn primary block" type="submit" disabled={busy.value}>
            {busy.value ? 'Please wait…' : isSignup ? 'Create account' : 'Sign in'}
          </button>
          <p class="hint auth-switch">
            {isSignup ? 'Already have an account? ' : 'New here? '}
            <a
              href="#"
              onClick={(e) => {
                e.preventDefault();
                mode.value = isSignup ? 'login' : 'signup';
                errors.value = {};
              }}
            >
              {isSignup ? 'Sign in' : 'Create an account'}
            </a>
          </p>
        </form>
      </div>
    </div>
  );
}
