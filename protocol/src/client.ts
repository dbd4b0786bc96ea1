/**
 * The light client entry, `@pushpals/protocol/client`: everything a client (the VS Code extension, the
 * chat webview) needs at run time — the precompiled validators and frame parsing (`validate.ts`), the
 * version constants and checks, the size limits and id syntax (`limits.ts`), `makeCommand`/`newId`,
 * the client-state reducer every surface shares (`state/`), how a whole-file change is named (`review/whole-files.ts`,
 * no diff library) — and the message TYPES, but never the
 * TypeBox schema modules: requiring it loads no `@sinclair/typebox` (a test checks it), so it costs a
 * few ms instead of ~100 ms and bundles without TypeBox. The schemas, `EventDocs`/`CommandDocs`,
 * `ALL_SCHEMAS` and the run-time type lists (`EVENT_TYPES`, ...) stay in the full entry, `@pushpals/protocol`.
 */
export * from './version';
export * from './limits';
export * from './close-codes';
export * from './validate';
export * from './build';
export * from './state';
export * from './review/whole-files';
export type * from './common';
export type * from './events';
export type * from './transient';
export type * from './commands';
export type * from './receipt';
export type * from './messages';
