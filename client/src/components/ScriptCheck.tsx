// One script's syntax check, as you type: parsed by the real bash parser (loaded on first use).
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { checkScript, type ScriptIssue } from '../lib/script-check.ts';

export function ScriptCheck({ label, script }: { label: string; script: string }) {
  const result = useSignal<
    { script: string; issues: ScriptIssue[] } | { script: string; failed: true } | null
  >(null);
  useEffect(() => {
    if (!script.trim()) return;
    let live = true;
    // A short pause so a check runs when typing stops, not per key.
    const timer = setTimeout(() => {
      checkScript(script)
        .then((issues) => live && (result.value = { script, issues }))
        .catch((error: unknown) => {
          console.warn('script check unavailable', error);
          if (live) result.value = { script, failed: true };
        });
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [script]);
  if (!script.trim()) return <div class="callout">{label}: empty, nothing to check.</div>;
  const r = result.value;
  if (!r || r.script !== script)
    return (
      <div class="callout" data-testid="script-checking">
        <strong>{label}</strong>: checking…
      </div>
    );
  if ('failed' in r)
    return (
      <div class="callout warn">
        <strong>{label}</strong>: the checker could not load (offline before it was ever loaded?). The Viber
        reports syntax errors when it runs the script.
      </div>
    );
  return r.issues.length ? (
    <div class="callout err" data-testid="script-issues" role="status">
      <strong>{label}</strong>, {r.issues.map((i) => `line ${i.line}: ${i.message}`).join('; ')}
    </div>
  ) : (
    <div class="callout ok" data-testid="script-ok" role="status">
      <strong>{label}</strong>: valid bash, no syntax problems.
    </div>
  );
}
