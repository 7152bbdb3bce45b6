// [V1] Answers a Viber's "are these stored?" (shared/src/store-status.ts): the Viber keeps a marker
// of each change until this says the change is in storage, not merely in this process's memory.
import type { Extension, Hocuspocus, onStatelessPayload } from '@hocuspocus/server';
import { Access, accessFor, parseStoreQuestion, type StoreAnswer } from '@openviber/shared';
import type * as Y from 'yjs';
import type { AuthedPrincipal } from '../auth/auth-service.ts';

/**
 * `isStopping`: once the server stops, documents with an unstored change may unload (nothing else
 * would end), so every document asked about is answered unstored from then on.
 */
export function storeStatusExtension(
  unstored: (document: Y.Doc) => boolean,
  isStopping: () => boolean,
): Extension {
  let instance: Hocuspocus | undefined;
  return {
    extensionName: 'openviber-store-status',
    async onConfigure(payload) {
      instance = payload.instance;
    },
    async onStateless({ connection, payload }: onStatelessPayload) {
      const question = parseStoreQuestion(payload);
      if (!question || !instance) return;
      const principal = (connection.context as { principal?: AuthedPrincipal }).principal;
      const answer: StoreAnswer = {
        t: 'stored',
        id: question.id,
        unstored: question.docs.filter((name) => {
          if (!principal || isStopping() || accessFor(principal, name) === Access.refused) return true;
          const document = instance?.documents.get(name);
          return document !== undefined && unstored(document);
        }),
      };
      connection.sendStateless(JSON.stringify(answer));
    },
  };
}
