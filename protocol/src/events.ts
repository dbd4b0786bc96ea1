/**
 * Server → client events. Every event is persisted in the orchestrator's event log before it is
 * broadcast, and carries the log's monotonically increasing `seq`.
 * Each entry: the payload schema of one event type. The envelope is added in messages.ts.
 */
import { Type } from '@sinclair/typebox';
import { AgentName, ErrorInfo, GrantInfo, Id, IsoTime, PolicyVerdict, Risk, StringEnum, TaskBase, TaskState, Text } from './common';
import { MAX_MESSAGE_LENGTH, MAX_OUTPUT_LENGTH, MAX_PATCH_LENGTH, MAX_PR_BODY_LENGTH, MAX_PR_TITLE_LENGTH, MAX_TITLE_LENGTH } from './limits';


const O = Type.Object;
const Opt = Type.Optional;
const closed = { additionalProperties: false } as const;
const Sha = Type.String({ pattern: '^[0-9a-f]{40}$' });

const Hunk = O(
  {
    hunkId: Id,
    file: Text(1024),
    oldStart: Type.Integer({ minimum: 0 }),
    oldLines: Type.Integer({ minimum: 0 }),
    newStart: Type.Integer({ minimum: 0 }),
    newLines: Type.Integer({ minimum: 0 }),
    header: Text(1024),
  },
  closed,
);

/** A git file mode: a regular file, an executable, a symlink. */
const FileMode = StringEnum(['100644', '100755', '120000']);

/**
 * A whole-file change of a diff (1.3): what text hunks cannot show — a binary file added, modified or
 * deleted, a rename (with or without a content change), a mode change, an empty file added or deleted.
 * Decided by its `fileId` with `hunk_decide`, like a hunk; accepted, it is committed byte-exactly.
 * The blob ids are git's (the orchestrator's clone holds both sides).
 */
const FileEntry = O(
  {
    fileId: Id,
    kind: StringEnum(['binary', 'rename', 'mode', 'empty']),
    change: StringEnum(['added', 'modified', 'deleted', 'renamed']),
    /** The file's path after the change (its path before for a deletion). */
    path: Text(1024),
    /** A rename's path before. */
    oldPath: Opt(Text(1024)),
    oldMode: Opt(FileMode),
    newMode: Opt(FileMode),
    /** Bytes. */
    oldSize: Opt(Type.Integer({ minimum: 0 })),
    newSize: Opt(Type.Integer({ minimum: 0 })),
    oldBlob: Opt(Sha),
    newBlob: Opt(Sha),
  },
  closed,
);

/** A test runner's counts, where its output could be parsed (mocha, jest/vitest, node --test, pytest, go test, cargo test, TAP). */
const CheckCounts = O({ passed: Type.Integer({ minimum: 0 }), failed: Type.Integer({ minimum: 0 }), skipped: Type.Integer({ minimum: 0 }) }, closed);

/** Where a check ran: the task's base commit, one ticket's own tree, the proposed result (a plan's combined tree, or a single task's base + diff), the tree of a commit of accepted hunks. */
const CheckPhase = StringEnum(['base', 'ticket', 'combined', 'commit']);

/**
 * A result not run again: the same check (same command, configuration, dependency set-up, sandbox image
 * and runner version) on the same tree, run by that task at that time (a base's checks reused across
 * tasks); its `check_run` audit row is that task's.
 */
const ReusedFrom = O({ taskId: Id, at: IsoTime }, closed);

/** One check's outcome as evidence: what ran, on which tree, and a hash of its whole output (the audit holds the same). */
const CheckSummary = O(
  {
    name: Text(128),
    command: Text(4096),
    status: StringEnum(['passed', 'failed', 'error']),
    exitCode: Opt(Type.Integer()),
    counts: Opt(CheckCounts),
    durationMs: Type.Integer({ minimum: 0 }),
    /** "sha256:<hex>" of the check's whole output (stdout then stderr), before truncation. */
    outputHash: Opt(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
    reusedFrom: Opt(ReusedFrom),
  },
  closed,
);

/** The evidence a `diff_ready` carries: the tree its checks ran on, and the same checks on the base commit. */
const Evidence = O(
  {
    /** The git tree id the checks ran on (the proposed result's tree, exactly). */
    treeId: Sha,
    checks: Type.Array(CheckSummary, { maxItems: 100 }),
    /** The same checks on `baseCommit`, so "3 failing before, 0 after" can be shown. */
    before: Opt(Type.Array(CheckSummary, { maxItems: 100 })),
    /** Combine-then-verify rounds used (1: the first combined tree passed or no fix was tried). */
    rounds: Opt(Type.Integer({ minimum: 0 })),
  },
  closed,
);

export const EventPayloads = {
  // Chat
  user_message: O({ text: Text(), clientId: Opt(Id) }, closed),
  assistant_message: O({ text: Text(), format: Opt(StringEnum(['plain', 'markdown'])), taskId: Opt(Id) }, closed),
  log: O({ level: StringEnum(['debug', 'info', 'warn', 'error']), message: Text(), taskId: Opt(Id) }, closed),
  error: O({ error: ErrorInfo, taskId: Opt(Id) }, closed),
  done: O({ taskId: Opt(Id), summary: Opt(Text()) }, closed),

  // Repo
  repo_added: O({ repoId: Id, name: Text(256), source: Text(4096), defaultBranch: Text(256) }, closed),
  repo_removed: O({ repoId: Id, name: Text(256) }, closed),
  scan_result: O({ repoId: Id, findings: Type.Array(O({ kind: Text(64), file: Opt(Text(1024)), line: Opt(Type.Integer({ minimum: 1 })), message: Text(MAX_MESSAGE_LENGTH) }, closed), { maxItems: 1000 }) }, closed),
  suggestions: O({ repoId: Id, items: Type.Array(O({ suggestionId: Id, title: Text(MAX_TITLE_LENGTH), rationale: Text(MAX_MESSAGE_LENGTH), evidence: Opt(Text()), score: Type.Number({ minimum: 0, maximum: 1 }) }, closed), { maxItems: 100 }) }, closed),
  diff_ready: O({ taskId: Id, diff: Text(MAX_PATCH_LENGTH), files: Type.Array(Text(1024), { maxItems: 10000 }), hunks: Type.Array(Hunk, { maxItems: 10000 }), baseCommit: Opt(Sha), evidence: Opt(Evidence), fileChanges: Opt(Type.Array(FileEntry, { maxItems: 10000 })) }, closed),
  hunk_decided: O({ taskId: Id, hunkId: Id, decision: StringEnum(['accept', 'reject']), by: AgentName }, closed),
  egress_blocked: O(
    {
      taskId: Id,
      host: Text(255),
      port: Type.Integer({ minimum: 0, maximum: 65535 }),
      reason: Text(MAX_MESSAGE_LENGTH),
      command: Opt(Text(4096)),
    },
    closed,
  ),
  check_result: O(
    {
      taskId: Id,
      name: Text(128),
      command: Text(4096),
      status: StringEnum(['passed', 'failed', 'error']),
      exitCode: Opt(Type.Integer()),
      durationMs: Type.Integer({ minimum: 0 }),
      /** The tail of the output (the whole output is hashed in `outputHash` and kept in the audit). */
      output: Text(),
      counts: Opt(CheckCounts),
      phase: Opt(CheckPhase),
      /** The commit and git tree id the check ran on. */
      commit: Opt(Sha),
      treeId: Opt(Sha),
      /** The ticket whose tree it ran on (phase `ticket`), or that a combined failure was attributed to. */
      ticketId: Opt(Id),
      /** A few lines around the first failure, when one could be found. */
      excerpt: Opt(Text(8192)),
      outputHash: Opt(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
      /** Not run now: the result of that task's run of the same check on the same tree. */
      reusedFrom: Opt(ReusedFrom),
    },
    closed,
  ),
  committed: O({ taskId: Id, sha: Sha, branch: Text(256), message: Text(), baseCommit: Opt(Sha), hunks: Opt(Type.Array(Id, { maxItems: 10000 })), files: Opt(Type.Array(Text(1024), { maxItems: 10000 })) }, closed),
  pushed: O({ taskId: Id, remote: Text(256), branch: Text(256), sha: Sha }, closed),
  pr_opened: O(
    {
      taskId: Id,
      url: Type.String({ format: 'uri', maxLength: 2048 }),
      number: Type.Integer({ minimum: 1 }),
      title: Text(MAX_TITLE_LENGTH),
      /** Since 1.3. True: an open pull request of the task branch existed, and its title and body (and base) were updated instead of opening another. */
      updated: Opt(Type.Boolean()),
    },
    closed,
  ),

  // Approvals
  approval_required: O(
    {
      approvalId: Id,
      taskId: Id,
      kind: StringEnum(['command', 'patch', 'commit', 'push', 'pr', 'network', 'plan']),
      title: Text(MAX_TITLE_LENGTH),
      reason: Text(MAX_MESSAGE_LENGTH),
      risk: Risk,
      command: Opt(Text()),
      patch: Opt(Text(MAX_PATCH_LENGTH)),
      /** A commit approval: the proposed commit message (the person may edit it when approving). */
      message: Opt(Text(MAX_MESSAGE_LENGTH)),
      /**
       * Since 1.3. A `pr` approval: the pull request's proposed title and body, exactly what is sent unless
       * the person edits them when approving (`approval_decide` `title` / `body`); `number`: the open pull
       * request of the branch that will be updated instead of opening one.
       */
      pullRequest: Opt(O({ title: Type.String({ minLength: 1, maxLength: MAX_PR_TITLE_LENGTH }), body: Text(MAX_PR_BODY_LENGTH), number: Opt(Type.Integer({ minimum: 1 })) }, closed)),
      expiresAt: Opt(IsoTime),
    },
    closed,
  ),
  approved: O({ approvalId: Id, taskId: Id, by: AgentName }, closed),
  denied: O({ approvalId: Id, taskId: Id, by: AgentName, reason: Opt(Text(MAX_MESSAGE_LENGTH)) }, closed),
  grant_added: O({ grant: GrantInfo }, closed),
  grant_revoked: O({ grantId: Id, by: AgentName, revokedAt: IsoTime }, closed),

  // Agents
  agent_status: O({ agentId: AgentName, status: StringEnum(['idle', 'busy', 'error', 'offline']), taskId: Opt(Id), detail: Opt(Text(1024)) }, closed),

  // Tasks
  task_created: O({ taskId: Id, title: Text(MAX_TITLE_LENGTH), request: Text(), parentId: Opt(Id), repoId: Opt(Id), state: TaskState }, closed),
  task_started: O({ taskId: Id, agentId: AgentName }, closed),
  task_base: O({ taskId: Id, repoId: Id, base: TaskBase }, closed),
  task_progress: O({ taskId: Id, message: Text(MAX_MESSAGE_LENGTH), step: Opt(Text(256)), percent: Opt(Type.Number({ minimum: 0, maximum: 100 })) }, closed),
  task_completed: O({ taskId: Id, summary: Text() }, closed),
  task_failed: O({ taskId: Id, error: ErrorInfo }, closed),
  task_cancelled: O({ taskId: Id, by: AgentName, reason: Opt(Text(MAX_MESSAGE_LENGTH)) }, closed),
  task_paused: O({ taskId: Id, by: AgentName }, closed),
  task_resumed: O({ taskId: Id, by: AgentName }, closed),

  // Tools
  tool_call: O(
    {
      taskId: Id,
      toolCallId: Id,
      tool: Text(64),
      args: Type.Record(Type.String(), Type.Unknown()),
      policy: Opt(O({ verdict: PolicyVerdict, reason: Text(MAX_MESSAGE_LENGTH) }, closed)),
    },
    closed,
  ),
  tool_result: O(
    {
      taskId: Id,
      toolCallId: Id,
      tool: Text(64),
      ok: Type.Boolean(),
      exitCode: Opt(Type.Integer()),
      stdout: Opt(Text(MAX_OUTPUT_LENGTH)),
      stderr: Opt(Text(MAX_OUTPUT_LENGTH)),
      output: Opt(Text(MAX_OUTPUT_LENGTH)),
      truncated: Type.Boolean(),
      durationMs: Type.Integer({ minimum: 0 }),
    },
    closed,
  ),

  // Delegation between agents
  delegate_request: O({ taskId: Id, fromAgent: AgentName, toAgent: AgentName, request: Text() }, closed),
  delegate_response: O({ taskId: Id, fromAgent: AgentName, ok: Type.Boolean(), result: Text() }, closed),

  // Durable job queue
  job_enqueued: O({ jobId: Id, queue: Text(64), taskId: Opt(Id), runAt: IsoTime, maxAttempts: Type.Integer({ minimum: 1 }) }, closed),
  job_claimed: O({ jobId: Id, workerId: Text(128), attempt: Type.Integer({ minimum: 1 }), leaseUntil: IsoTime }, closed),
  job_completed: O({ jobId: Id, workerId: Text(128) }, closed),
  job_failed: O({ jobId: Id, error: Text(MAX_MESSAGE_LENGTH), attempt: Type.Integer({ minimum: 1 }), willRetry: Type.Boolean(), runAt: Opt(IsoTime) }, closed),
} as const;

export type EventType = keyof typeof EventPayloads;
export const EVENT_TYPES = Object.keys(EventPayloads) as EventType[];

/** One-line descriptions, used by the generated reference (protocol/README.md). */
export const EventDocs: Record<EventType, string> = {
  user_message: 'A chat message a person sent (echoed to every client of the session).',
  assistant_message: 'A chat reply from the orchestrator or an agent.',
  log: 'A log line, optionally tied to a task.',
  error: 'An error not tied to a single command (e.g. an agent crashed).',
  done: 'The end of a turn: the orchestrator has nothing more to say for now.',
  repo_added: 'A repository was registered; the orchestrator holds its own clone.',
  repo_removed: 'A repository was unregistered; the orchestrator\'s copy of it is gone.',
  scan_result: 'Findings of a repository scan (failing tests, lint errors, risky config, ...).',
  suggestions: 'Ranked improvement proposals with evidence; an accepted one becomes a task.',
  diff_ready: 'A reviewable diff for a task, split into hunks; `baseCommit` is the commit it applies to; `evidence`: the checks run on exactly its tree (and on the base); `fileChanges` (1.3): the whole-file changes text hunks cannot show (binary, rename, mode, empty file), each decided by its `fileId` like a hunk. A newer one replaces the task\'s review.',
  hunk_decided: 'A person accepted or rejected one hunk of the task\'s latest diff (a later decision on the same hunk replaces it).',
  egress_blocked: "A sandbox's network request was refused by the egress allowlist: the host and port it asked for, why, and the command that asked. Nothing was sent to that host.",
  check_result: 'The outcome of a test/lint/build command run as evidence, with the runner\'s counts where parsed and the tree it ran on.',
  committed: 'A commit of exactly the accepted hunks was made on the task branch (never the default branch), with the hunks and files it contains.',
  pushed: 'The task branch was pushed to a remote.',
  pr_opened: 'A pull request was opened (`updated`: the open pull request of the branch was updated instead).',
  approval_required: 'A risky action waits for a person: what, why, the exact command or patch, the risk.',
  approved: 'An approval was granted; the action runs.',
  denied: 'An approval was refused or expired; the action never runs.',
  grant_added: 'An auto-commit grant was added: until it expires or is revoked, approvals of its actions for its repository or task are approved by `grant:<grantId>` without asking (`approved` with that `by`, and no `approval_required`).',
  grant_revoked: 'An auto-commit grant was revoked: approvals it covered ask a person again.',
  agent_status: 'An agent became idle, busy, errored or went offline.',
  task_created: 'A task was created (from a request, or as a subtask of a plan).',
  task_started: 'An agent started working on a task.',
  task_base: 'The task\'s working copy is ready: the commit it starts from (the person\'s current branch head, or a fresh fetch) and whether their uncommitted changes were laid over it.',
  task_progress: 'A progress note for a running task.',
  task_completed: 'A task finished successfully.',
  task_failed: 'A task failed, with a typed error.',
  task_cancelled: 'A task was cancelled.',
  task_paused: 'A task was paused: its agent starts no new model call or tool call until it is resumed (what runs finishes).',
  task_resumed: 'A paused task was resumed.',
  tool_call: 'An agent called a tool (e.g. run a command), with the policy verdict.',
  tool_result: 'The result of a tool call: exit code, output (truncated, secrets redacted), duration.',
  delegate_request: 'An agent delegated part of its work to another agent.',
  delegate_response: 'The answer to a delegation.',
  job_enqueued: 'A job was added to the durable queue.',
  job_claimed: 'A worker claimed a job with a lease.',
  job_completed: 'A job completed.',
  job_failed: 'A job attempt failed; it may be retried with backoff.',
};
