// [S12] A Viber from before presence carried its document schema connects: its card in the app says
// it runs an older version. The Viber is a real websocket peer of its own document, with its own
// token, publishing the presence such a daemon published ({ online, version, viberId }, no schema).
import { afterAll, describe, it } from 'vitest';
import { viberDocName, viberPresenceState } from '@openviber/shared';
import { connectPeer } from '../../sync-server/testing/peers.ts';
import { newPage, registerViber, signUpInUi, useBrowser, useServer } from './harness.ts';

describe('[S12] an older Viber in the app', () => {
  it('[S12] a connected Viber whose presence names no schema shows "runs an older version — update it"; once updated it does not', async () => {
    const server = await useServer();
    const browser = await useBrowser();
    const { page } = await newPage(browser);
    const user = await signUpInUi(page, server);
    const viber = await registerViber(server, user, 'old-laptop');
    const peer = connectPeer(server.wsUrl, viberDocName(user.userId, viber.viberId), viber.authToken);
    afterAll(() => peer.destroy());
    await peer.synced;
    peer.provider.setAwarenessField('viber', { online: true, version: '0.1.0', viberId: viber.viberId });

    await page.evaluate(() => (location.hash = '#/vibers'));
    const warning = page.getByTestId('viber-needs-update');
    await warning.getByText('This Viber runs an older version — update it').waitFor();

    // The same Viber restarted on the current version: its presence names this app's schema.
    peer.provider.setAwarenessField(
      'viber',
      viberPresenceState({ version: '0.2.0', viberId: viber.viberId }).viber,
    );
    await warning.waitFor({ state: 'detached' });
  });
});
