// A Viber whose registry key is not the one this device confirmed ([T11]): the old and the new
// fingerprint, and the explicit "trust the new key" after the user compared it on the machine.
import { useApp } from '../app-context.ts';
import { ApproveButton } from './ApproveButton.tsx';
import { KeyFingerprint } from './KeyFingerprint.tsx';

/** The registry names another key than the one this device confirmed for a Viber ([T11]): nothing is signed or sealed for it until the user compared. */
export function ViberKeyChanged(props: { viberId: string; name: string; now: string; confirmed?: string }) {
  const app = useApp();
  return (
    <div class="callout err stack" data-testid="viber-key-changed">
      <p class="wrap-anywhere">
        <strong>This Viber’s key changed</strong> — compare the fingerprint on the machine (
        <code>viber status</code>) before you trust it. It was{' '}
        {props.confirmed ? <KeyFingerprint publicKey={props.confirmed} /> : 'another key'}; the server now
        says <KeyFingerprint publicKey={props.now} />. Until you trust the new key, nothing is signed for{' '}
        {props.name} and no new secret is encrypted to it: a mapping signed for a swapped key would have your
        other Vibers re-seal your secrets to it.
      </p>
      <ApproveButton
        label="I compared it — trust the new key"
        testId="trust-viber-key"
        onApprove={async () => {
          const ok = await app.confirm.ask({
            title: `Trust the new key of ${props.name}?`,
            body: 'Only if `viber status` on the machine prints the same fingerprint as shown here. Otherwise someone else holds this key.',
            confirmLabel: 'Trust the new key',
            danger: true,
          });
          if (ok) await app.signing.trustNewViberKey(props.viberId, props.now);
        }}
      />
    </div>
  );
}
