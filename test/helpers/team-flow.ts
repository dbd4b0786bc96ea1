/**
 * Helpers for the team suites (planner, tickets, scheduler): plans as the scripted planner model
 * sends them, a plan's tickets read from the event stream, and a branch's file read from the
 * orchestrator's own clone with the host's git (a bare repository the orchestrator wrote: no work
 * tree, no repository-controlled config).
 */
import { spawnSync } from 'node:child_process';
import type { EventMessage, EventPayload } from '@pushpals/protocol';
import type { WsTestClient } from './e2e-env';
import { ofType } from './task-flow';

export interface TicketJson {
  id: string;
  title: string;
  description: string;
  dependsOn: string[];
  scope: string[];
  acceptance: string[];
  checks: string[];
  agent?: string;
}

/** One ticket as the planner model writes it (`agent`: the coding agent the planner picks for it). */
export function ticket(id: string, title: string, scope: string[], o: { dependsOn?: string[]; checks?: string[]; agent?: string } = {}): TicketJson {
  return { id, title, description: `${title}.`, dependsOn: o.dependsOn ?? [], scope, acceptance: [`${title}: done`], checks: o.checks ?? ['npm test'], ...(o.agent ? { agent: o.agent } : {}) };
}

/** The first user message of the planner's conversation for `request` (scripts match it). */
export const planFor = (request: string): RegExp => new RegExp(`^Plan the following request:\\n${request.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

/** The first user message of a ticket's conversation: `Ticket <key>: <title>`. */
export const ticketConv = (key: string, title: string): RegExp => new RegExp(`^Ticket ${key}: ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`);

/** The plan's tickets as `task_created` events (parentId = the plan), by ticket key (`T1: ...` titles). */
export function ticketsOf(client: WsTestClient, planId: string): Map<string, EventPayload<'task_created'>> {
  const out = new Map<string, EventPayload<'task_created'>>();
  for (const e of ofType(client.events, 'task_created')) if (e.payload.parentId === planId) out.set(e.payload.title.split(':')[0] ?? '', e.payload);
  return out;
}

/** Waits until the plan has `n` tickets; returns them by key. */
export async function waitTickets(client: WsTestClient, planId: string, n: number, timeoutMs = 60_000): Promise<Map<string, EventPayload<'task_created'>>> {
  await client.waitUntil(() => ticketsOf(client, planId).size >= n, timeoutMs, `${n} tickets of plan ${planId}`);
  return ticketsOf(client, planId);
}

/** The event's time in ms. */
export const tsOf = (e: EventMessage): number => Date.parse(e.ts);

/** A file on a branch of a bare repository, or undefined when it is not there. */
export function fileOnBranch(gitDir: string, branch: string, path: string): string | undefined {
  const r = spawnSync('git', ['--git-dir', gitDir, 'show', `${branch}:${path}`], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: gitDir } });
  return r.status === 0 ? r.stdout : undefined;
}

/** The branches of a bare repository. */
export function branchesOf(gitDir: string): string[] {
  const r = spawnSync('git', ['--git-dir', gitDir, 'for-each-ref', '--format=%(refname:short)', 'refs/heads'], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: gitDir } });
  if (r.status !== 0) throw new Error(`git for-each-ref failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * The "rename breaks a caller" fixture of the verify suites: T1 renames sum to add (with its test), T2
 * adds a report that calls sum — each passes alone, together they break; REPORT('add') is the fix.
 */
export const MATH = 'function sum(a, b) {\n  return a + b;\n}\n\nmodule.exports = { sum };\n';
export const MATH_TEST = "const test = require('node:test');\nconst assert = require('node:assert');\nconst { sum } = require('../src/math.js');\n\ntest('sum adds', () => assert.strictEqual(sum(2, 3), 5));\n";
export const ADD = MATH.replace(/sum/g, 'add');
export const ADD_TEST = MATH_TEST.replace(/sum/g, 'add');
export const REPORT = (fn: string) => `const { ${fn} } = require('./math.js');\n\nexports.total = (xs) => xs.reduce((a, b) => ${fn}(a, b), 0);\n`;
export const REPORT_TEST = "const test = require('node:test');\nconst assert = require('node:assert');\nconst { total } = require('../src/report.js');\n\ntest('total adds them all', () => assert.strictEqual(total([1, 2, 3]), 6));\n";
