/**
 * Client → server commands. Each one is answered by exactly one `ack` (carrying the command's typed
 * result) or one `command_error`, both with `correlationId` = the command's `id`.
 */
import { Type } from '@sinclair/typebox';
import { GrantAction, GrantInfo, Id, IsoTime, StringEnum, TaskState, TaskSummary, Text } from './common';
import { MAX_MESSAGE_LENGTH, MAX_OUTPUT_LENGTH, MAX_PATCH_LENGTH, MAX_PR_BODY_LENGTH, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH } from './limits';
import { Receipt } from './receipt';


const O = Type.Object;
const Opt = Type.Optional;
const closed = { additionalProperties: false } as const;
const Empty = O({}, closed);
const Sha = Type.String({ pattern: '^[0-9a-f]{40}$' });
/** A repository's display name: unique among the registered ones. */
const RepoName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\s/\\\\][^/\\\\]*$' });
/** A registered repository, named by its id or its name. */
const RepoRef = Type.String({ minLength: 1, maxLength: 256 });
const Oid = Type.String({ pattern: '^[0-9a-f]{40}$' });

/** A registered repository as `repo_list` reports it. */
const RepoInfo = O(
  {
    repoId: Id,
    name: Text(256),
    /** An absolute local path, or a URL (credentials shown as `***`). */
    source: Text(4096),
    kind: StringEnum(['path', 'url']),
    defaultBranch: Text(256),
    /** The branch and commit the last sync saw (a local path: its current branch's head). */
    head: Opt(O({ branch: Opt(Text(256)), commit: Oid }, closed)),
    /** The root commit(s) of `head`: with `remotes`, how a client on another machine recognises its checkout. */
    rootCommits: Type.Array(Oid, { maxItems: 16 }),
    /** The source's remote URLs (a URL source: itself), credentials shown as `***`. */
    remotes: Type.Array(Text(4096), { maxItems: 32 }),
    addedAt: IsoTime,
    syncedAt: Opt(IsoTime),
  },
  closed,
);

export const CommandPayloads = {
  /** First message on a connection: who we are. The envelope's protocolVersion is checked. */
  hello: O({ clientName: Text(128), clientVersion: Text(64) }, closed),
  /** Start receiving events with seq > afterSeq (replay, then live). Optional filters. */
  subscribe: O({ afterSeq: Type.Integer({ minimum: 0 }), sessionId: Opt(Id), taskId: Opt(Id) }, closed),
  unsubscribe: Empty,
  chat_send: O({ text: Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH }) }, closed),
  task_new: O(
    {
      request: Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH }),
      /** The repository, by id or name; may be left out only while exactly one is registered. */
      repo: Opt(RepoRef),
      /** Same as `repo`, by id only (kept for older clients). */
      repoId: Opt(Id),
      /** Lay the person's uncommitted changes over the base commit (default false; the extension sends true). */
      includeUncommitted: Opt(Type.Boolean()),
      context: Opt(O({ file: Opt(Text(4096)), selection: Opt(Text()), language: Opt(Text(64)) }, closed)),
      /** The worker for this task; default: the repo's or the orchestrator's (config agents.default). */
      agent: Opt(StringEnum(['worker:builtin', 'openhands'])),
    },
    closed,
  ),
  task_cancel: O({ taskId: Id, reason: Opt(Text(MAX_MESSAGE_LENGTH)) }, closed),
  task_pause: O({ taskId: Id }, closed),
  task_resume: O({ taskId: Id }, closed),
  approval_decide: O(
    {
      approvalId: Id,
      decision: StringEnum(['approve', 'deny']),
      reason: Opt(Text(MAX_MESSAGE_LENGTH)),
      /** Commit approvals only: the commit message to use instead of the proposed one. */
      message: Opt(Type.String({ minLength: 1, maxLength: MAX_MESSAGE_LENGTH })),
      /** Since 1.3. `pr` approvals only: the pull request's title instead of the proposed one (GitHub: at most 256 characters, checked by the orchestrator). */
      title: Opt(Type.String({ minLength: 1, maxLength: MAX_TITLE_LENGTH })),
      /** Since 1.3. `pr` approvals only: the pull request's body instead of the proposed one (may be empty). */
      body: Opt(Type.String({ maxLength: MAX_PR_BODY_LENGTH })),
    },
    closed,
  ),
  hunk_decide: O({ taskId: Id, hunkId: Id, decision: StringEnum(['accept', 'reject']) }, closed),
  review_get: O({ taskId: Id }, closed),
  commit_request: O({ taskId: Id }, closed),
  branch_fetch: O({ taskId: Id }, closed),
  /** Push the committed task branch to a remote of its repository (a name such as `origin`, or one of its URLs; default `origin`). */
  push_request: O({ taskId: Id, remote: Opt(Text(4096)) }, closed),
  /** Open a pull request of the task branch (pushed first when it is not); `base` defaults to the repository's default branch. */
  pr_request: O(
    {
      taskId: Id,
      title: Opt(Type.String({ minLength: 1, maxLength: MAX_TITLE_LENGTH })),
      body: Opt(Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH })),
      base: Opt(Type.String({ minLength: 1, maxLength: 256 })),
    },
    closed,
  ),
  status_get: O({ taskId: Opt(Id) }, closed),
  repo_add: O({ source: Type.String({ minLength: 1, maxLength: 4096 }), name: Opt(RepoName) }, closed),
  repo_list: Empty,
  repo_remove: O({ repo: RepoRef }, closed),
  repo_sync: O({ repo: RepoRef }, closed),
  audit_get: O({ taskId: Id, limit: Opt(Type.Integer({ minimum: 1, maximum: 10000 })) }, closed),
  receipt_get: O({ taskId: Id }, closed),
  /** Deletes finished tasks' working copies older than `olderThanHours` (default: the configured retention; 0: every finished one). */
  workspace_gc: O({ olderThanHours: Opt(Type.Number({ minimum: 0, maximum: 1e6 })) }, closed),
  /** Auto-commit grant for ONE of a repository (`repo`: id or name) or a task (`taskId`); `ttlMinutes` default 480 (8 h), at most 43200 (30 days). */
  grant_add: O(
    {
      repo: Opt(RepoRef),
      taskId: Opt(Id),
      actions: Type.Array(GrantAction, { minItems: 1, maxItems: 3, uniqueItems: true }),
      ttlMinutes: Opt(Type.Integer({ minimum: 1, maximum: 43200 })),
    },
    closed,
  ),
  /** The active grants; with `includeInactive` also revoked and expired ones (newest first). */
  grant_list: O({ includeInactive: Opt(Type.Boolean()) }, closed),
  grant_revoke: O({ grantId: Id }, closed),
  ping: Empty,
} as const;

const AuditEntry = O(
  {
    seq: Type.Integer({ minimum: 1 }),
    ts: IsoTime,
    taskId: Opt(Id),
    actor: Text(128),
    action: Text(64),
    command: Opt(Text()),
    cwd: Opt(Text(4096)),
    verdict: Opt(Text(16)),
    approvalId: Opt(Id),
    exitCode: Opt(Type.Integer()),
    durationMs: Opt(Type.Integer({ minimum: 0 })),
    stdout: Opt(Text(MAX_OUTPUT_LENGTH)),
    stderr: Opt(Text(MAX_OUTPUT_LENGTH)),
    hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  closed,
);

/** The typed result each command's ack carries. */
export const CommandResults = {
  hello: O({ serverVersion: Text(64), protocolVersion: Text(16), sessionId: Id, headSeq: Type.Integer({ minimum: 0 }) }, closed),
  subscribe: O({ afterSeq: Type.Integer({ minimum: 0 }), headSeq: Type.Integer({ minimum: 0 }) }, closed),
  unsubscribe: Empty,
  chat_send: O({ messageSeq: Type.Integer({ minimum: 1 }) }, closed),
  task_new: O({ taskId: Id, state: TaskState }, closed),
  task_cancel: O({ taskId: Id, state: TaskState }, closed),
  task_pause: O({ taskId: Id, state: TaskState, paused: Type.Boolean() }, closed),
  task_resume: O({ taskId: Id, state: TaskState, paused: Type.Boolean() }, closed),
  approval_decide: O({ approvalId: Id, state: StringEnum(['approved', 'denied', 'expired']) }, closed),
  hunk_decide: O({ taskId: Id, hunkId: Id }, closed),
  review_get: O(
    {
      taskId: Id,
      /** The seq of the `diff_ready` under review (the task's latest). */
      diffSeq: Type.Integer({ minimum: 1 }),
      baseCommit: Sha,
      /** Each changed file's content at the base commit; null: the file did not exist there. */
      files: Type.Array(O({ path: Text(1024), base: Type.Union([Type.String({ maxLength: MAX_PATCH_LENGTH }), Type.Null()]) }, closed), { maxItems: 10000 }),
    },
    closed,
  ),
  commit_request: O({ taskId: Id, jobId: Id }, closed),
  branch_fetch: O({ taskId: Id, branch: Text(256), sha: Sha, repoPath: Text(4096) }, closed),
  push_request: O({ taskId: Id, jobId: Id }, closed),
  pr_request: O({ taskId: Id, jobId: Id }, closed),
  status_get: O({ tasks: Type.Array(TaskSummary, { maxItems: 10000 }), queueDepth: Type.Integer({ minimum: 0 }) }, closed),
  repo_add: O({ repoId: Id, name: Text(256), existing: Opt(Type.Boolean()) }, closed),
  repo_list: O({ repos: Type.Array(RepoInfo, { maxItems: 1000 }) }, closed),
  repo_remove: O({ repoId: Id, name: Text(256) }, closed),
  repo_sync: O({ repoId: Id, name: Text(256), head: O({ branch: Opt(Text(256)), commit: Oid }, closed) }, closed),
  audit_get: O({ entries: Type.Array(AuditEntry, { maxItems: 10000 }) }, closed),
  receipt_get: O({ receipt: Receipt }, closed),
  workspace_gc: O({ removed: Type.Array(Id, { maxItems: 100000 }), freedBytes: Type.Integer({ minimum: 0 }), kept: Type.Integer({ minimum: 0 }) }, closed),
  grant_add: O({ grant: GrantInfo }, closed),
  grant_list: O({ grants: Type.Array(GrantInfo, { maxItems: 10000 }) }, closed),
  /** `changed` false: it was revoked already (revoking is idempotent). */
  grant_revoke: O({ grant: GrantInfo, changed: Type.Boolean() }, closed),
  ping: O({ ts: IsoTime }, closed),
} as const;

export type CommandType = keyof typeof CommandPayloads;
export const COMMAND_TYPES = Object.keys(CommandPayloads) as CommandType[];

export const CommandDocs: Record<CommandType, string> = {
  hello: 'Opens a conversation: names the client; the server answers with its version and the head of the event log. An incompatible major protocol version gets `unsupported_version`.',
  subscribe: 'Replays every stored event with `seq > afterSeq` (optionally only one session or task), then streams live events: no gap, no duplicate.',
  unsubscribe: 'Stops the live stream on this connection.',
  chat_send: 'Sends a chat message. Answered at once; replies arrive as `assistant_message` events, even while tasks run.',
  task_new: 'Creates a task from a request, optionally with editor context (file, selection). The repository (`repo`: id or name) is resolved now: an unknown one, or none while several are registered, is a `command_error` listing the choices (`details.choices`), never a task that fails later. With `includeUncommitted` the working copy gets the person\'s uncommitted changes too.',
  task_cancel: 'Cancels a task and its running jobs.',
  task_pause: 'Pauses a live task: no new model call or tool call starts until `task_resume` (a command already running finishes). The task keeps its working copy and container; cancel still works. Survives an orchestrator restart. Idempotent; a finished task is a `conflict`.',
  task_resume: 'Resumes a paused task where it stopped. Idempotent; a finished task is a `conflict`.',
  approval_decide: 'Approves or denies a pending approval. Idempotent: the first decision wins. A commit approval may carry an edited commit `message`, a `pr` approval an edited `title` and `body` (what is sent and audited).',
  hunk_decide: 'Accepts or rejects one hunk of the task\'s latest diff; deciding again replaces the decision until the task is committed. Once no hunk is undecided and one is accepted, the orchestrator asks for the commit approval.',
  review_get: 'Returns what a client needs to show the task\'s latest diff: its base commit and each changed file\'s content there.',
  commit_request: 'Asks (again) for the commit approval of the accepted hunks, e.g. after a denied one. Every hunk must be decided.',
  branch_fetch: 'Copies the task branch `pushpals/<task>` (its commit and objects) into the registered repository\'s own git directory as a local branch; nothing is checked out, nothing of the repository runs.',
  push_request: 'Pushes the committed task branch `pushpals/<task>` to a remote of its repository (default `origin`) under the same name, after an approval of kind `push`; never to another branch. A push that is not a fast-forward is refused. The result arrives as a `pushed` event (or an `error`).',
  pr_request: 'Opens a pull request of `pushpals/<task>` through the forge\'s API (GitHub, GitHub Enterprise) after an approval of kind `pr`; pushes first (its own `push` approval) when the branch is not there yet. When the branch already has an open pull request, that one is updated (title, body; the base when another is asked) instead of opening a second. Without a forge token the branch is pushed and a log says that no pull request was opened. The result arrives as a `pr_opened` event (`updated` when it was updated).',
  status_get: 'Returns a summary of all tasks (or one) with their states and the queue depth.',
  repo_add: 'Registers a repository (a local path or an http(s) URL); the orchestrator keeps its own copy of its objects. Adding a registered source again answers with that repository (`existing`).',
  repo_list: 'Lists the registered repositories: id, name, source, head, root commits and remotes (to bind a checkout to its repository).',
  repo_remove: 'Unregisters a repository (by id or name) and deletes the orchestrator\'s copy; tasks already running keep their working copies.',
  repo_sync: 'Refreshes the orchestrator\'s copy of a repository now (every task does it anyway when it starts) and returns the head it saw.',
  audit_get: 'Returns the audit trail of a task: every tool call and command with verdict, exit code and output.',
  receipt_get: 'Returns the task\'s signed receipt: the proposed diff\'s hash, the checks bound to its tree and to the committed tree (counts, output hashes), the approvals and the commit, each naming its audit row (seq + hash), cut at an audit head and signed with the orchestrator\'s audit key. `pushpals audit verify-receipt` checks one. `not_found` while the task has proposed no diff.',
  workspace_gc: 'Deletes the working copies of finished tasks older than `olderThanHours` (default: the configured `sandbox.keepFinishedHours`; 0: all finished), except copies whose diff still awaits review.',
  grant_add: 'Grants auto-commit for a repository (`repo`, id or name) or a task (`taskId`; a plan\'s task covers its tickets) for `ttlMinutes` (default 480, at most 43200): while the grant is active, approvals of its `actions` (`commit`, `push`, `pr`) for those tasks are approved without asking — recorded as decided by `grant:<id>`, audited, never for anything but the task branch. Every client sees `grant_added`.',
  grant_list: 'Lists the active grants (with `includeInactive`: revoked and expired ones too), newest first.',
  grant_revoke: 'Revokes a grant at once: the next approval it would have covered asks a person again. Idempotent (`changed` false when it was revoked already); every client sees `grant_revoked`.',
  ping: 'Liveness check.',
};
