// A Viber's key fingerprint, to compare with what `viber onboard` printed; computed with libsodium, loaded lazily.
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';

export function KeyFingerprint({ publicKey }: { publicKey: string }) {
  const fingerprint = useSignal('');
  useEffect(() => {
    let live = true;
    void import('@openviber/shared/crypto')
      .then((m) => m.keyFingerprint(publicKey))
      .then((f) => {
        if (live) fingerprint.value = f;
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [publicKey]);
  return <code data-testid="key-fingerprint">{fingerprint.value || '…'}</code>;
}
