import { Type, type Static } from '@sinclair/typebox';
import { ID_MAX_LENGTH, ID_PATTERN, MAX_MESSAGE_LENGTH, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH } from './limits';

/** A string enum as JSON Schema `enum` (one readable error listing the allowed values). */
export const StringEnum = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

/** Opaque identifiers: short, printable, no whitespace. */
export const Id = Type.String({ minLength: 1, maxLength: ID_MAX_LENGTH, pattern: ID_PATTERN });

/** Agent names on the wire: `user`, `orchestrator`, `planner`, `worker:<n>`, `extension`, `phone`, ... */
export const AgentName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_-]*(:[A-Za-z0-9_.-]+)?$' });

export const IsoTime = Type.String({ format: 'date-time', maxLength: 40 });

export const TaskState = StringEnum(['queued', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled']);
export type TaskState = Static<typeof TaskState>;

/** Machine-readable error codes shared by `command_error`, `error`, `task_failed`. */
export const ErrorCode = StringEnum(['invalid_json', 'invalid_message', 'unknown_type', 'unsupported_version', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'too_large', 'rate_limited', 'timeout', 'cancelled', 'sandbox_unavailable', 'disk_full', 'policy_denied', 'approval_denied', 'command_failed', 'model_not_configured', 'model_error', 'budget_exceeded', 'step_limit_exceeded', 'secret_detected', 'internal']);
export type ErrorCode = Static<typeof ErrorCode>;

export const ErrorInfo = Type.Object(
  {
    code: ErrorCode,
    message: Type.String({ maxLength: MAX_MESSAGE_LENGTH }),
    /** JSON pointer into the offending message, for validation errors (e.g. `/payload/text`). */
    path: Type.Optional(Type.String({ maxLength: 512 })),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type ErrorInfo = Static<typeof ErrorInfo>;

export const Risk = StringEnum(['low', 'medium', 'high']);
export type Risk = Static<typeof Risk>;

export const PolicyVerdict = StringEnum(['allow', 'ask', 'deny']);
export type PolicyVerdict = Static<typeof PolicyVerdict>;

/**
 * What a task's working copy starts from: a commit of the repository as the person had it when the
 * task started (their current branch's head, or a fresh fetch of a URL), and whether their
 * uncommitted changes (modified and untracked files git does not ignore) were laid over it.
 */
export const TaskBase = Type.Object(
  {
    commit: Type.String({ pattern: '^[0-9a-f]{40}$' }),
    /** The branch that commit was the head of; absent for a detached HEAD. */
    branch: Type.Optional(Type.String({ maxLength: 256 })),
    uncommitted: Type.Boolean(),
    /** How many uncommitted files were laid over the commit (with `uncommitted`). */
    files: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Why the base is not fully live (e.g. a URL that could not be fetched: the last fetched commit). */
    note: Type.Optional(Type.String({ maxLength: MAX_MESSAGE_LENGTH })),
  },
  { additionalProperties: false },
);
export type TaskBase = Static<typeof TaskBase>;

/** What an auto-commit grant may let through without asking: the review's commit, a push of the task branch, a pull request. */
export const GrantAction = StringEnum(['commit', 'push', 'pr']);
export type GrantAction = Static<typeof GrantAction>;

/**
 * An auto-commit grant: while active (not revoked, before `expiresAt`), approvals of its `actions`
 * for tasks of its repository (`scope` repo) or of its task and that task's tickets (`scope` task)
 * are approved without asking, by `grant:<grantId>`, and audited.
 */
export const GrantInfo = Type.Object(
  {
    grantId: Id,
    scope: StringEnum(['repo', 'task']),
    /** Scope repo: the repository (and its name when it is still registered). */
    repoId: Type.Optional(Id),
    repoName: Type.Optional(Type.String({ maxLength: 256 })),
    /** Scope task: the task (a plan's task covers its tickets). */
    taskId: Type.Optional(Id),
    actions: Type.Array(GrantAction, { minItems: 1, maxItems: 3, uniqueItems: true }),
    createdAt: IsoTime,
    expiresAt: IsoTime,
    /** Who granted it (the client's agent name, e.g. `user`). */
    createdBy: Type.String({ minLength: 1, maxLength: 128 }),
    revokedAt: Type.Optional(IsoTime),
  },
  { additionalProperties: false },
);
export type GrantInfo = Static<typeof GrantInfo>;

export const TaskSummary = Type.Object(
  {
    taskId: Id,
    title: Type.String({ maxLength: MAX_TITLE_LENGTH }),
    state: TaskState,
    parentId: Type.Optional(Id),
    repoId: Type.Optional(Id),
    /** What the task's working copy started from, once it is prepared. */
    base: Type.Optional(TaskBase),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    pendingApprovals: Type.Integer({ minimum: 0 }),
    /** The task is paused (task_pause); its state stays what it was. */
    paused: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type TaskSummary = Static<typeof TaskSummary>;

export const Text = (maxLength = MAX_TEXT_LENGTH) => Type.String({ maxLength });
