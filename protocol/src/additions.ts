/**
 * What each MINOR version added: THE one table. The server downgrades what it sends to the minor a
 * client announced (`downgrade.ts`: newer event types withheld, newer fields removed, newer error
 * codes replaced by their fallback), `schemasAtVersion` derives an older minor's schemas from it for
 * tests, and the protocol README's "What each minor added" is generated from it (gen-docs --check).
 *
 * Adding to the protocol in a new minor = bump `PROTOCOL_VERSION` and add one line per addition here,
 * e.g. `{ since: '1.4', event: 'diff_ready', field: 'binaryFiles' },` (a nested field:
 * `field: 'hunks[].binary'`; a field of a command's ack result: `{ since, result: 'status_get', field }`).
 * Loads no schema module (type imports only): the light client entry may use it.
 */
import type { ErrorCode } from './common';
import type { CommandType } from './commands';
import type { EventType } from './events';
import type { TransientType } from './transient';
import type { CommandPayload, CommandResult, EventPayload } from './messages';

/** A MINOR version of the current major, "1.N". */
export type MinorVersion = `1.${number}`;

/** A field of an object `P`: a property, or a path below one (`evidence`, `error.code`, `tasks[].paused`). */
type FieldPath<P> = P extends object ? `${keyof P & string}` | `${keyof P & string}.${string}` | `${keyof P & string}[].${string}` : never;

/** `value`: a new value of the enum `field`; an older peer does not get an event carrying it. */
type EventAddition = { [K in EventType]: { since: MinorVersion; event: K; field?: FieldPath<EventPayload<K>>; value?: string } }[EventType];
type CommandAddition = { [K in CommandType]: { since: MinorVersion; command: K; field?: FieldPath<CommandPayload<K>> } }[CommandType];
type ResultAddition = { [K in CommandType]: { since: MinorVersion; result: K; field: FieldPath<CommandResult<K>> } }[CommandType];

/** One addition: a message type, a field of one (or a value of an enum field), an error code (with what an older peer gets instead), a close code. */
export type Addition =
  | EventAddition
  | { since: MinorVersion; transient: TransientType }
  | CommandAddition
  | ResultAddition
  | { since: MinorVersion; errorCode: ErrorCode; fallback: ErrorCode }
  | { since: MinorVersion; closeCode: number };

/** One line per addition, oldest first. 1.0 is the baseline: everything not listed. */
export const PROTOCOL_ADDITIONS: readonly Addition[] = [
  // 1.1
  { since: '1.1', transient: 'assistant_delta' },
  { since: '1.1', closeCode: 4008 },
  { since: '1.1', closeCode: 4426 },
  { since: '1.1', event: 'repo_removed' },
  { since: '1.1', event: 'egress_blocked' },
  { since: '1.1', event: 'task_base' },
  { since: '1.1', event: 'diff_ready', field: 'baseCommit' },
  { since: '1.1', event: 'committed', field: 'baseCommit' },
  { since: '1.1', event: 'committed', field: 'hunks' },
  { since: '1.1', event: 'committed', field: 'files' },
  { since: '1.1', event: 'approval_required', field: 'message' },
  { since: '1.1', event: 'approval_required', field: 'kind', value: 'plan' },
  { since: '1.1', errorCode: 'secret_detected', fallback: 'policy_denied' },
  { since: '1.1', command: 'review_get' },
  { since: '1.1', command: 'commit_request' },
  { since: '1.1', command: 'branch_fetch' },
  { since: '1.1', command: 'repo_list' },
  { since: '1.1', command: 'repo_remove' },
  { since: '1.1', command: 'repo_sync' },
  { since: '1.1', command: 'workspace_gc' },
  { since: '1.1', command: 'task_new', field: 'repo' },
  { since: '1.1', command: 'task_new', field: 'includeUncommitted' },
  { since: '1.1', command: 'task_new', field: 'agent' },
  { since: '1.1', command: 'approval_decide', field: 'message' },
  { since: '1.1', result: 'repo_add', field: 'existing' },
  { since: '1.1', result: 'status_get', field: 'tasks[].base' },
  // 1.2
  { since: '1.2', event: 'check_result', field: 'counts' },
  { since: '1.2', event: 'check_result', field: 'phase' },
  { since: '1.2', event: 'check_result', field: 'commit' },
  { since: '1.2', event: 'check_result', field: 'treeId' },
  { since: '1.2', event: 'check_result', field: 'ticketId' },
  { since: '1.2', event: 'check_result', field: 'excerpt' },
  { since: '1.2', event: 'check_result', field: 'outputHash' },
  { since: '1.2', event: 'diff_ready', field: 'evidence' },
  { since: '1.2', command: 'receipt_get' },
  { since: '1.2', command: 'grant_add' },
  { since: '1.2', command: 'grant_list' },
  { since: '1.2', command: 'grant_revoke' },
  { since: '1.2', event: 'grant_added' },
  { since: '1.2', event: 'grant_revoked' },
  { since: '1.2', command: 'push_request' },
  { since: '1.2', command: 'pr_request' },
  { since: '1.2', command: 'task_pause' },
  { since: '1.2', command: 'task_resume' },
  { since: '1.2', event: 'task_paused' },
  { since: '1.2', event: 'task_resumed' },
  { since: '1.2', result: 'status_get', field: 'tasks[].paused' },
  // 1.3
  { since: '1.3', event: 'pr_opened', field: 'updated' },
  { since: '1.3', event: 'approval_required', field: 'pullRequest' },
  { since: '1.3', command: 'approval_decide', field: 'title' },
  { since: '1.3', command: 'approval_decide', field: 'body' },
  { since: '1.3', event: 'diff_ready', field: 'fileChanges' },
  { since: '1.3', command: 'review_get', field: 'blobs' },
  { since: '1.3', result: 'review_get', field: 'blobs' },
  { since: '1.3', event: 'check_result', field: 'reusedFrom' },
  { since: '1.3', event: 'diff_ready', field: 'evidence.checks[].reusedFrom' },
  { since: '1.3', event: 'diff_ready', field: 'evidence.before[].reusedFrom' },
  { since: '1.3', result: 'receipt_get', field: 'receipt.checks[].reusedFrom' },
];

/** Where an `ErrorCode` sits in a server message (by message key, see `messageKey`): an `errorCode` addition is applied there. */
export const ERROR_CODE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  command_error: ['code'],
  'event:error': ['error.code'],
  'event:task_failed': ['error.code'],
};

/** One line a minor's README section starts with (what it was about); its list is generated from the table. */
export const MINOR_SUMMARIES: Readonly<Record<MinorVersion, string>> = {
  '1.1': 'Streamed chat replies (the transient `assistant_delta`), the close codes of slow and incompatible clients, repositories by id or name, the live base, the hunk review.',
  '1.2': 'Evidence (the checks bound to a tree), receipts, auto-commit grants, delivery (push, pull request), pause.',
  '1.3':
    'Pull requests that already exist (updated, not refused) and editable pull request text, within GitHub\'s limits (`MAX_PR_TITLE_LENGTH`, `MAX_PR_BODY_LENGTH`, `pullRequestTextProblem()` in `src/limits.ts`); whole-file changes in review (binary, rename, mode, empty file), each decided with `hunk_decide` by its `fileId` in `hunkId` (`hunk_decided` the same). A diff without whole-file changes is a 1.2 diff. A base\'s check results reused across tasks say so (`reusedFrom`).',
};

/** The minor of a "MAJOR.MINOR" string (NaN when malformed). */
export const minorOf = (version: string): number => {
  const m = /^\d+\.(\d+)$/.exec(version);
  return m ? Number(m[1]) : Number.NaN;
};
