// The model shared by the sync server, the app and the daemon. No I/O here.
// The public entry: what the other processes use. Modules whose every export is meant for them are
// re-exported whole; the others name their public part, so the Yjs field helpers, the entity readers
// behind the list/get accessors and the schemas' building blocks stay internal to shared/ (its own
// tests import modules by path).
export {
  newId,
  type BindingId,
  type EnvironmentId,
  type MessageId,
  type TaskId,
  type UserId,
  type ViberId,
} from './ids.ts';
export {
  BindingStatus,
  BindingStrategy,
  EnvironmentPill,
  EnvironmentType,
  FINAL_RUN_STATES,
  ObservedState,
  PrepareStep,
  RunState,
  SecretScope,
  SetupMode,
  TaskStatus,
} from './enums.ts';
export {
  MAX_BODY_BYTES,
  MAX_CHANGES_FILE_PATCH_CHARS,
  MAX_CHANGES_FILES,
  MAX_CHANGES_PATCH_CHARS,
  MAX_COMMIT_MESSAGE_LENGTH,
  MAX_DELETIONS,
  MAX_MESSAGE_LENGTH,
  MAX_RUN_OUTPUT_CHARS,
  MAX_SECRET_LENGTH,
  MAX_STORE_DELAY_MS,
  MIN_SECRET_LENGTH,
} from './limits.ts';
export {
  MAX_STORE_QUESTION_DOCS,
  parseStoreAnswer,
  parseStoreQuestion,
  type StoreAnswer,
  type StoreQuestion,
} from './store-status.ts';
export { ModelError, type FieldIssue, type Result } from './result.ts';
export * from './validate.ts';
export * from './validate-repo-url.ts';
export * from './push-branch.ts';
export {
  ENVIRONMENT_DEFAULTS,
  RESERVED_KEYS,
  bindingCreateSchema,
  credentialsSchema,
  envKeySchema,
  environmentCreateSchema,
  environmentPatchSchema,
  messageCreateSchema,
  onboardSchema,
  publicKeySchema,
  pushCreateSchema,
  signatureSchema,
  sourceFieldsSchema,
  taskCreateSchema,
  taskPatchSchema,
  type BindingCreate,
  type EnvironmentCreate,
  type EnvironmentPatch,
  type SealedSecretInput,
} from './schemas.ts';
export * from './doc-names.ts';
export * from './access.ts';
export {
  addSealedCopy,
  createEnvironment,
  environmentView,
  environmentsMap,
  getEnvironment,
  listEnvironments,
  patchEnvironment,
  signEnvironmentSpec,
  signSealedCopy,
  type Environment,
  type EnvironmentFields,
  type StoredSecret,
} from './workspace-environments.ts';
export {
  bindingsMap,
  bumpGeneration,
  createBinding,
  deleteBinding,
  getBinding,
  listBindings,
  signBinding,
  type Binding,
} from './workspace-bindings.ts';
export {
  createTask,
  deleteTask,
  getTask,
  listTasks,
  patchTask,
  restoreTask,
  tasksMap,
  titleFromMessage,
  touchTask,
  type Task,
} from './workspace-tasks.ts';
export {
  getViber,
  listVibers,
  markViberSeen,
  upsertViber,
  vibersMap,
  type ViberRecord,
} from './workspace-vibers.ts';
export {
  DeletedKind,
  DeletionSet,
  deletionsLogLength,
  deletionsMap,
  isRecordedDeleted,
  legacyDeletionsArray,
  listDeletions,
  observeDeletions,
  trimDeletions,
  type Deletion,
} from './workspace-deletions.ts';
export * from './workspace.ts';
export { compactDeletedKeys } from './workspace-compaction.ts';
export * from './task-doc.ts';
export {
  RefusalReason,
  RefusedKind,
  TrustMode,
  clearRefusal,
  isFinalRunState,
  listObservations,
  listRefusals,
  listReseals,
  listTaskRunSummaryIds,
  readHealth,
  observationOf,
  readObservation,
  readTaskRunSummary,
  removeObservations,
  removeTaskRunSummaries,
  resealKey,
  resealsMap,
  writeHealth,
  writeNeedsUpdate,
  writeObservation,
  writeRefusal,
  writeTaskRunSummary,
  type Observation,
  type Refusal,
  type Reseal,
  type TaskRunSummary,
  type ViberHealth,
} from './viber-doc.ts';
export * from './document-version.ts';
export * from './viber-presence.ts';
export {
  appendPrepareLines,
  replaceLastPrepareLine,
  appendRunOutput,
  getRun,
  listRuns,
  readPrepareLog,
  resetPrepareLog,
  writeRun,
  type PrepareLog,
  type RunRecord,
} from './log-docs.ts';
export * from './changes-doc.ts';
export * from './spec-hash.ts';
export * from './signed-intent.ts';
export * from './derive-status.ts';
export * from './events.ts';
export * from './protocol.ts';
export * from './redact.ts';
