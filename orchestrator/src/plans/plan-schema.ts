/**
 * What a plan from the planner model must look like: a TypeBox schema (shown to the model as the
 * `submit_plan` tool's parameters and checked here) plus the rules a schema cannot say: ticket ids
 * unique, dependencies that exist, no cycle. Every problem is a readable line with its JSON path, so
 * a malformed plan can go back to the model with exactly what to fix.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { WORKER_AGENTS } from '../config';

const line = (max: number) => Type.String({ minLength: 1, maxLength: max });

export const TicketSpecSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,15}$', description: 'short id, e.g. "T1"' }),
    title: line(120),
    description: Type.String({ minLength: 1, maxLength: 4000, description: 'what to do, for a coding agent that sees only this ticket' }),
    dependsOn: Type.Array(line(16), { maxItems: 20, description: 'ids of tickets whose results this one needs (it starts from them)' }),
    scope: Type.Array(line(300), { minItems: 1, maxItems: 20, description: 'files or areas this ticket may change' }),
    acceptance: Type.Array(line(500), { minItems: 1, maxItems: 10, description: 'acceptance criteria' }),
    checks: Type.Array(line(500), { minItems: 1, maxItems: 10, description: 'shell commands that prove it (run in a sandbox without network)' }),
    agent: Type.Optional(Type.Union(WORKER_AGENTS.map((a) => Type.Literal(a)), { description: 'the coding agent for this ticket (leave out for the default)' })),
  },
  { additionalProperties: false },
);
export type TicketSpec = Static<typeof TicketSpecSchema>;

export const PlanSchema = Type.Object(
  {
    summary: Type.String({ minLength: 1, maxLength: 2000, description: 'the plan in two or three sentences' }),
    tickets: Type.Array(TicketSpecSchema, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);
export type PlanDraft = Static<typeof PlanSchema>;

/** Extra tickets (a split): the same ticket shape. */
export const SplitSchema = Type.Object({ tickets: Type.Array(TicketSpecSchema, { minItems: 1, maxItems: 10 }) }, { additionalProperties: false });
export type SplitDraft = Static<typeof SplitSchema>;

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

function schemaProblems(schema: typeof PlanSchema | typeof SplitSchema, value: unknown): string[] {
  if (Value.Check(schema, value)) return [];
  return [...Value.Errors(schema, value)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
}

/** Ids unique (also against `existing`), dependencies known, no cycle; tickets in dependency order. */
function graphProblems(tickets: readonly TicketSpec[], existing: ReadonlySet<string>, path: string): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  tickets.forEach((t, i) => {
    if (ids.has(t.id) || existing.has(t.id)) problems.push(`${path}/${i}/id: "${t.id}" is used twice: ticket ids must be unique`);
    ids.add(t.id);
  });
  tickets.forEach((t, i) => {
    t.dependsOn.forEach((d, j) => {
      if (d === t.id) problems.push(`${path}/${i}/dependsOn/${j}: a ticket cannot depend on itself`);
      else if (!ids.has(d) && !existing.has(d)) problems.push(`${path}/${i}/dependsOn/${j}: no ticket has the id "${d}"`);
    });
  });
  if (problems.length) return problems;
  // Kahn's algorithm over the new tickets: whatever remains sits on a cycle.
  const pending = new Map(tickets.map((t) => [t.id, t.dependsOn.filter((d) => ids.has(d))]));
  for (let progress = true; progress; ) {
    progress = false;
    for (const [id, deps] of pending) {
      if (deps.every((d) => !pending.has(d))) {
        pending.delete(id);
        progress = true;
      }
    }
  }
  if (pending.size) problems.push(`${path}: the dependencies form a cycle between ${[...pending.keys()].join(', ')}: a ticket can only depend on tickets that can finish before it`);
  return problems;
}

/** Checks a plan from the model (as parsed JSON). `maxTickets`: config planner.maxTickets. */
export function checkPlan(value: unknown, maxTickets: number): Checked<PlanDraft> {
  const problems = schemaProblems(PlanSchema, value);
  if (problems.length) return { ok: false, problems };
  const plan = value as PlanDraft;
  if (plan.tickets.length > maxTickets) return { ok: false, problems: [`/tickets: ${plan.tickets.length} tickets, at most ${maxTickets} allowed: merge small ones`] };
  const g = graphProblems(plan.tickets, new Set(), '/tickets');
  return g.length ? { ok: false, problems: g } : { ok: true, value: plan };
}

/** Checks extra tickets for an existing plan (ids must not clash with `existingIds`; they may depend on them). */
export function checkSplit(value: unknown, existingIds: ReadonlySet<string>, room: number): Checked<SplitDraft> {
  const problems = schemaProblems(SplitSchema, value);
  if (problems.length) return { ok: false, problems };
  const split = value as SplitDraft;
  if (split.tickets.length > room) return { ok: false, problems: [`/tickets: the plan has room for ${room} more ticket(s) (planner.maxTickets)`] };
  const g = graphProblems(split.tickets, existingIds, '/tickets');
  return g.length ? { ok: false, problems: g } : { ok: true, value: split };
}

/** The tickets in an order where each comes after everything it depends on (input must be acyclic). */
export function dependencyOrder<T extends { id: string; dependsOn: readonly string[] }>(tickets: readonly T[]): T[] {
  const out: T[] = [];
  const done = new Set<string>();
  const ids = new Set(tickets.map((t) => t.id));
  while (out.length < tickets.length) {
    const before = out.length;
    for (const t of tickets) {
      if (!done.has(t.id) && t.dependsOn.every((d) => done.has(d) || !ids.has(d))) {
        out.push(t);
        done.add(t.id);
      }
    }
    if (out.length === before) throw new Error('dependencyOrder: cycle');
  }
  return out;
}
