/**
 * The valid fixtures as TYPED values: one entry per event and per command, each typed by the TS type
 * derived from its schema. The maps are `{ [K in EventType]: ... }`, so adding a message type without
 * adding it here fails tsc; `event('log')` under the key `user_message` fails tsc too.
 */
import { join } from 'node:path';
import type { AckMessage, CommandErrorMessage, CommandMessage, CommandType, EventMessage, EventType, TransientMessage, TransientType } from '../src';
import { VALID_DIR, readJson } from './helpers';

// Read and cast, nothing more: that each file really is a valid message of the type it is filed under
// is what types.test.ts asserts (checking it here would make those assertions unable to fail).
const load = (name: string): unknown => readJson(join(VALID_DIR, `${name}.json`));
const event = <K extends EventType>(type: K): EventMessage<K> => load(type) as EventMessage<K>;
const command = <K extends CommandType>(type: K): { command: CommandMessage<K>; ack: AckMessage<K> } => ({
  command: load(type) as CommandMessage<K>,
  ack: load(`ack.${type}`) as AckMessage<K>,
});

export const eventFixtures: { [K in EventType]: EventMessage<K> } = {
  user_message: event('user_message'),
  assistant_message: event('assistant_message'),
  log: event('log'),
  error: event('error'),
  done: event('done'),
  repo_added: event('repo_added'),
  repo_removed: event('repo_removed'),
  scan_result: event('scan_result'),
  suggestions: event('suggestions'),
  diff_ready: event('diff_ready'),
  hunk_decided: event('hunk_decided'),
  egress_blocked: event('egress_blocked'),
  check_result: event('check_result'),
  committed: event('committed'),
  pushed: event('pushed'),
  pr_opened: event('pr_opened'),
  approval_required: event('approval_required'),
  approved: event('approved'),
  grant_added: event('grant_added'),
  grant_revoked: event('grant_revoked'),
  denied: event('denied'),
  agent_status: event('agent_status'),
  task_created: event('task_created'),
  task_started: event('task_started'),
  task_base: event('task_base'),
  task_progress: event('task_progress'),
  task_completed: event('task_completed'),
  task_failed: event('task_failed'),
  task_cancelled: event('task_cancelled'),
  task_paused: event('task_paused'),
  task_resumed: event('task_resumed'),
  tool_call: event('tool_call'),
  tool_result: event('tool_result'),
  delegate_request: event('delegate_request'),
  delegate_response: event('delegate_response'),
  job_enqueued: event('job_enqueued'),
  job_claimed: event('job_claimed'),
  job_completed: event('job_completed'),
  job_failed: event('job_failed'),
};

const transient = <K extends TransientType>(type: K): TransientMessage<K> => load(type) as TransientMessage<K>;

export const transientFixtures: { [K in TransientType]: TransientMessage<K> } = {
  assistant_delta: transient('assistant_delta'),
};

export const commandFixtures: { [K in CommandType]: { command: CommandMessage<K>; ack: AckMessage<K> } } = {
  hello: command('hello'),
  subscribe: command('subscribe'),
  unsubscribe: command('unsubscribe'),
  chat_send: command('chat_send'),
  task_new: command('task_new'),
  task_cancel: command('task_cancel'),
  task_pause: command('task_pause'),
  task_resume: command('task_resume'),
  approval_decide: command('approval_decide'),
  hunk_decide: command('hunk_decide'),
  review_get: command('review_get'),
  commit_request: command('commit_request'),
  push_request: command('push_request'),
  pr_request: command('pr_request'),
  branch_fetch: command('branch_fetch'),
  status_get: command('status_get'),
  repo_add: command('repo_add'),
  repo_list: command('repo_list'),
  repo_remove: command('repo_remove'),
  repo_sync: command('repo_sync'),
  audit_get: command('audit_get'),
  receipt_get: command('receipt_get'),
  workspace_gc: command('workspace_gc'),
  grant_add: command('grant_add'),
  grant_list: command('grant_list'),
  grant_revoke: command('grant_revoke'),
  ping: command('ping'),
};

export const commandErrorFixture = load('command_error') as CommandErrorMessage;
