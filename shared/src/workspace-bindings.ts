// Bindings (desired state): which Viber prepares which environment, and at which generation.
import * as Y from 'yjs';
import { BindingStrategy } from './enums.ts';
import { isId, newId, type BindingId, type EnvironmentId, type ViberId } from './ids.ts';
import type { BindingCreate } from './schemas.ts';
import { DeletedKind, recordDeletion } from './workspace-deletions.ts';
import { entityMaps, numberOr, setFields, signatureOr, stringOr, type YEntity } from './y-fields.ts';

export interface Binding {
  id: BindingId;
  environmentId: EnvironmentId;
  viberId: ViberId;
  strategy: BindingStrategy;
  existingPath: string;
  /** Bumped by "Prepare" and "Sync"; the Viber prepares while its observed generation is below it. */
  generation: number;
  createdAt: number;
  /** A device's signature over the binding at this generation (a binding intent, [T4]); '' when unsigned. */
  signature: string;
  /**
   * When the device signed it (its clock, ms; 0 when unsigned or signed by an older app): a pinned
   * Viber re-seals to this binding's Viber only a secret value set no later ([T5], [X5]).
   */
  signedAt: number;
}

export const bindingsMap = (doc: Y.Doc) => doc.getMap<unknown>('bindings');

/** Reads a binding; null when a peer stored one without a valid environment or Viber. */
export function readBinding(id: string, map: YEntity): Binding | null {
  const environmentId = map.get('environmentId');
  const viberId = map.get('viberId');
  if (!isId(environmentId) || !isId(viberId) || !isId(id)) return null;
  return {
    id: id as BindingId,
    environmentId: environmentId as EnvironmentId,
    viberId: viberId as ViberId,
    strategy:
      map.get('strategy') === BindingStrategy.existing ? BindingStrategy.existing : BindingStrategy.clone,
    existingPath: stringOr(map.get('existingPath'), ''),
    generation: Math.max(0, Math.floor(numberOr(map.get('generation'), 0))),
    createdAt: numberOr(map.get('createdAt'), 0),
    signature: signatureOr(map.get('signature')),
    signedAt: Math.max(0, Math.floor(numberOr(map.get('signedAt'), 0))),
  };
}

export function listBindings(
  doc: Y.Doc,
  filter: { environmentId?: string; viberId?: string } = {},
): Binding[] {
  return entityMaps(bindingsMap(doc))
    .map(([id, map]) => readBinding(id, map))
    .filter((b): b is Binding => b !== null)
    .filter(
      (b) =>
        (!filter.environmentId || b.environmentId === filter.environmentId) &&
        (!filter.viberId || b.viberId === filter.viberId),
    )
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

export function getBinding(doc: Y.Doc, id: string): Binding | null {
  const map = bindingsMap(doc).get(id);
  return map instanceof Y.Map ? readBinding(id, map as YEntity) : null;
}

/** Creates a binding at generation 1, so its Viber prepares it as soon as it sees it. */
export function createBinding(
  doc: Y.Doc,
  environmentId: string,
  input: BindingCreate,
  now = Date.now(),
): BindingId {
  const id = newId<BindingId>('bnd');
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    bindingsMap(doc).set(id, map);
    setFields(map, {
      id,
      environmentId,
      viberId: input.viberId,
      strategy: input.strategy,
      existingPath: input.existingPath ?? '',
      generation: 1,
      createdAt: now,
    });
  });
  return id;
}

/** "Prepare" / "Sync": asks the Viber to prepare again. Returns the new generation, or null if no such binding. */
export function bumpGeneration(doc: Y.Doc, id: string): number | null {
  const binding = getBinding(doc, id);
  const map = bindingsMap(doc).get(id);
  if (!binding || !(map instanceof Y.Map)) return null;
  const next = binding.generation + 1;
  doc.transact(() => {
    map.set('generation', next);
    // The signature was over the old generation: unsigned until a device signs again ([T4]).
    if (map.has('signature')) map.delete('signature');
    if (map.has('signedAt')) map.delete('signedAt');
  });
  return next;
}

/**
 * Records a device's signature over the binding at `generation` (setting that generation) and
 * `signedAt` (part of what it signed; 0: none, as an older app signed) ([T4]).
 */
export function signBinding(
  doc: Y.Doc,
  id: string,
  generation: number,
  signature: string,
  signedAt = 0,
): boolean {
  const map = bindingsMap(doc).get(id);
  if (
    !(map instanceof Y.Map) ||
    !signatureOr(signature) ||
    !Number.isSafeInteger(generation) ||
    !Number.isSafeInteger(signedAt) ||
    signedAt < 0
  )
    return false;
  doc.transact(() => {
    setFields(map as YEntity, { generation, signature });
    if (signedAt) map.set('signedAt', signedAt);
    else if (map.has('signedAt')) map.delete('signedAt');
  });
  return true;
}

/** Deletes a binding; its prepare log is then removed from the store ([D7]). */
export function deleteBinding(doc: Y.Doc, id: string): boolean {
  if (!bindingsMap(doc).has(id)) return false;
  doc.transact(() => {
    bindingsMap(doc).delete(id);
    recordDeletion(doc, DeletedKind.binding, id);
  });
  return true;
}
