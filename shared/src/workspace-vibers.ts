// The Viber registry in the workspace: name and public key, written by the server at onboarding.
import * as Y from 'yjs';
import { isId, type ViberId } from './ids.ts';
import { MAX_NAME_LENGTH } from './limits.ts';
import { publicKeySchema, readableName } from './schemas.ts';
import { entityMaps, numberOr, setFields, type YEntity } from './y-fields.ts';

export interface ViberRecord {
  id: ViberId;
  name: string;
  /** X25519 public key, base64; secrets are sealed to it. */
  publicKey: string;
  createdAt: number;
  /** When the server last saw the Viber connect or disconnect. */
  lastSeenAt: number;
}

export const vibersMap = (doc: Y.Doc) => doc.getMap<unknown>('vibers');

export function readViber(id: string, map: YEntity): ViberRecord | null {
  const publicKey = map.get('publicKey');
  if (!isId(id) || !publicKeySchema.safeParse(publicKey).success) return null;
  return {
    id: id as ViberId,
    name: readableName(map.get('name'), id, MAX_NAME_LENGTH),
    publicKey: publicKey as string,
    createdAt: numberOr(map.get('createdAt'), 0),
    lastSeenAt: numberOr(map.get('lastSeenAt'), 0),
  };
}

export function listVibers(doc: Y.Doc): ViberRecord[] {
  return entityMaps(vibersMap(doc))
    .map(([id, map]) => readViber(id, map))
    .filter((v): v is ViberRecord => v !== null)
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

export function getViber(doc: Y.Doc, id: string): ViberRecord | null {
  const map = vibersMap(doc).get(id);
  return map instanceof Y.Map ? readViber(id, map as YEntity) : null;
}

export function upsertViber(
  doc: Y.Doc,
  viber: Omit<ViberRecord, 'lastSeenAt'> & { lastSeenAt?: number },
): void {
  doc.transact(() => {
    let map = vibersMap(doc).get(viber.id);
    if (!(map instanceof Y.Map)) {
      map = new Y.Map<unknown>();
      vibersMap(doc).set(viber.id, map);
    }
    setFields(map as YEntity, viber);
  });
}

export function markViberSeen(doc: Y.Doc, id: string, at = Date.now()): void {
  const map = vibersMap(doc).get(id);
  if (map instanceof Y.Map) map.set('lastSeenAt', at);
}
