/**
 * Client → server commands. Each one is answered by exactly one `ack` (carrying the command's typed
 * result) or one `command_error`, both with `correlationId` = the command's `id`.
 */
import { Type } from '@sinclair/typebox';
import { Id, IsoTime, StringEnum, TaskState, TaskSummary, Text } from './common';
import { MAX_MESSAGE_LENGTH, MAX_OUTPUT_LENGTH, MAX_TEXT_LENGTH } from './limits';


const O = Type.Object;
const Opt = Type.Optional;
const closed = { additionalProperties: false } as const;
const Empty = O({}, closed);

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
      repoId: Opt(Id),
      context: Opt(O({ file: Opt(Text(4096)), selection: Opt(Text()), language: Opt(Text(64)) }, closed)),
    },
    closed,
  ),
  task_cancel: O({ taskId: Id, reason: Opt(Text(MAX_MESSAGE_LENGTH)) }, closed),
  approval_decide: O({ approvalId: Id, decision: StringEnum(['approve', 'deny']), reason: Opt(Text(MAX_MESSAGE_LENGTH)) }, closed),
  hunk_decide: O({ taskId: Id, hunkId: Id, decision: StringEnum(['accept', 'reject']) }, closed),
  status_get: O({ taskId: Opt(Id) }, closed),
  repo_add: O({ source: Type.String({ minLength: 1, maxLength: 4096 }), name: Opt(Text(256)) }, closed),
  audit_get: O({ taskId: Id, limit: Opt(Type.Integer({ minimum: 1, maximum: 10000 })) }, closed),
  /** Deletes finished tasks' working copies older than `olderThanHours` (default: the configured retention; 0: every finished one). */
  workspace_gc: O({ olderThanHours: Opt(Type.Number({ minimum: 0, maximum: 1e6 })) }, closed),
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
  approval_decide: O({ approvalId: Id, state: StringEnum(['approved', 'denied', 'expired']) }, closed),
  hunk_decide: O({ taskId: Id, hunkId: Id }, closed),
  status_get: O({ tasks: Type.Array(TaskSummary, { maxItems: 10000 }), queueDepth: Type.Integer({ minimum: 0 }) }, closed),
  repo_add: O({ repoId: Id, name: Text(256) }, closed),
  audit_get: O({ entries: Type.Array(AuditEntry, { maxItems: 10000 }) }, closed),
  workspace_gc: O({ removed: Type.Array(Id, { maxItems: 100000 }), freedBytes: Type.Integer({ minimum: 0 }), kept: Type.Integer({ minimum: 0 }) }, closed),
  ping: O({ ts: IsoTime }, closed),
} as const;

export type CommandType = keyof typeof CommandPayloads;
export const COMMAND_TYPES = Object.keys(CommandPayloads) as CommandType[];

export const CommandDocs: Record<CommandType, string> = {
  hello: 'Opens a conversation: names the client; the server answers with its version and the head of the event log. An incompatible major protocol version gets `unsupported_version`.',
  subscribe: 'Replays every stored event with `seq > afterSeq` (optionally only one session or task), then streams live events: no gap, no duplicate.',
  unsubscribe: 'Stops the live stream on this connection.',
  chat_send: 'Sends a chat message. Answered at once; replies arrive as `assistant_message` events, even while tasks run.',
  task_new: 'Creates a task from a request, optionally with editor context (file, selection).',
  task_cancel: 'Cancels a task and its running jobs.',
  approval_decide: 'Approves or denies a pending approval. Idempotent: the first decision wins.',
  hunk_decide: 'Accepts or rejects one hunk of a task diff.',
  status_get: 'Returns a summary of all tasks (or one) with their states and the queue depth.',
  repo_add: 'Registers a repository (a local path or git URL); the orchestrator clones it into its data dir.',
  audit_get: 'Returns the audit trail of a task: every tool call and command with verdict, exit code and output.',
  workspace_gc: 'Deletes the working copies of finished tasks older than `olderThanHours` (default: the configured `sandbox.keepFinishedHours`; 0: all finished), except copies whose diff still awaits review.',
  ping: 'Liveness check.',
};
