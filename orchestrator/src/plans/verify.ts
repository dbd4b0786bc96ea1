/**
 * Combine, then verify: a plan's completed tickets are stacked onto its base in dependency order; a
 * result that does not apply goes to a fix-up ticket (it re-applies the change on the stack so far
 * and takes the ticket's place) or, with the rounds spent or no coder, is reported with its hunks and
 * left out. The combined tree's checks are compared with the base's: a regression is attributed to
 * the stack layer where the failure starts (regressions.ts: in order, or bisected) and sent back to
 * that ticket's agent as a fix-up stacked on top, and the checks run again — at most
 * planner.maxFixRounds fix-ups in all. The checks of the last round ran on exactly the tree that is
 * proposed.
 */
import { applyCommit } from '../git/commits';
import type { CheckResult, TreeCheckReport, TreeCheckRequest } from '../checks/types';
import { combineOrder, layerMessage, stackResults, type ConflictInfo, type Layer } from './combine';
import { conflictHunks, type ConflictHunk } from './conflicts';
import { conflictBrief, regressionBrief } from './fixup';
import type { FixUpSpec, PlanRecord, TicketRecord } from './plan-store';
import { regressions } from '../checks/regressions';
import { attribute, FixRounds } from './regressions';

/** A conflict nobody resolved: the ticket's change is on its own branch, not in the combined result. */
export interface UnresolvedConflict {
  ticket: TicketRecord;
  files: string[];
  hunks: ConflictHunk[];
  /** Why it was not resolved. */
  why: string;
}

export interface VerifyDeps {
  mirror: string;
  plan: PlanRecord;
  /** planner.maxFixRounds */
  maxFixRounds: number;
  /** Whether fix-ups can run (a coder model is configured). */
  canFix: boolean;
  /** The plan's tickets as stored now (originals and fix-ups). */
  tickets(): TicketRecord[];
  /** The checks on one commit's tree (cached by tree). */
  checks(req: TreeCheckRequest): Promise<TreeCheckReport>;
  /** The same checks on the plan's base, started with the tickets; undefined when they could not run. */
  base: Promise<TreeCheckReport | undefined>;
  /** Runs a fix-up ticket to its end; the ticket as stored afterwards. */
  fixUp(spec: FixUpSpec): Promise<TicketRecord>;
  note(message: string): void;
}

export interface Verified {
  head: string;
  layers: Layer[];
  combined: TreeCheckReport;
  base: TreeCheckReport | undefined;
  /** Rounds of checks on a combined tree (1: the first combined tree was final). */
  rounds: number;
  fixRoundsUsed: number;
  unresolved: UnresolvedConflict[];
  /** Regressions still failing on the proposed tree. */
  failing: CheckResult[];
  /** The ticket the last regression was attributed to, and how. */
  blame?: { ticket: TicketRecord; how: string };
}

const done = (t: TicketRecord | undefined): t is TicketRecord & { resultCommit: string } => t?.state === 'completed' && t.resultCommit !== null;

export async function combineAndVerify(deps: VerifyDeps): Promise<Verified> {
  const rounds = new FixRounds(deps.maxFixRounds);
  const unresolved: UnresolvedConflict[] = [];
  const cannot = () => (!deps.canFix ? 'no coder model is configured' : `the fix-up rounds are spent (planner.maxFixRounds = ${deps.maxFixRounds})`);

  const resolve = async (c: ConflictInfo) => {
    const hunks = await conflictHunks(deps.mirror, c.ticket.resultCommit ?? '', c.head, c.files);
    const round = deps.canFix ? rounds.take() : undefined;
    if (round === undefined) {
      unresolved.push({ ticket: c.ticket, files: c.files, hunks, why: cannot() });
      return undefined;
    }
    deps.note(`${c.ticket.key}'s result conflicts with the combined result so far (${c.files.join(', ') || c.message}): a fix-up re-applies it`);
    const fix = await deps.fixUp({ fixes: c.ticket, kind: 'conflict', round, base: c.head, ...(await conflictBrief(deps.mirror, c.ticket, hunks)) });
    if (done(fix)) return { ticket: fix, commit: fix.resultCommit };
    unresolved.push({ ticket: c.ticket, files: c.files, hunks, why: `its fix-up ${fix.key} ${fix.state === 'completed' ? 'changed nothing' : `ended ${fix.state}`}` });
    return undefined;
  };

  const originals = combineOrder(deps.tickets().filter((t) => t.fixes === null && t.state === 'completed'));
  let { head, layers } = await stackResults(deps.mirror, deps.plan.baseCommit, originals, resolve);
  deps.note(`Combined ${layers.length} result(s) onto the base in dependency order: ${head.slice(0, 12)}${unresolved.length ? ` (left out: ${unresolved.map((u) => u.ticket.key).join(', ')})` : ''}`);
  const base = await deps.base;
  let round = 0;
  for (;;) {
    round++;
    const combined = await deps.checks({ commit: head, phase: 'combined' });
    const failing = regressions(combined.results, base?.results);
    const result = (blame?: Verified['blame']): Verified => ({ head, layers, combined, base, rounds: round, fixRoundsUsed: rounds.spent, unresolved, failing, ...(blame ? { blame } : {}) });
    if (!failing.length) return result();
    // Which layer broke it: the prefix of the stack (base+T1, base+T1+T2, ...) where the failure starts
    // (walked in order for a short stack, bisected for a long one). Each prefix is its own tree, checked
    // in its own fresh sandbox; a tree already checked comes from the plan's check cache.
    const only = failing.map((c) => c.name);
    const lastFails = layers[layers.length - 1]?.head === head;
    const hit = await attribute(layers, async (layer) => regressions((await deps.checks({ commit: layer.head, phase: 'ticket', ticketId: layer.ticket.taskId, only })).results, base?.results).length > 0, { lastFails });
    const at = hit ?? (layers.length ? { layer: layers[layers.length - 1] as Layer, index: layers.length - 1 } : undefined);
    if (!at) return result();
    const culprit = at.layer.ticket;
    const how = at.index > 0 ? `it passes with the results up to ${(layers[at.index - 1] as Layer).ticket.key} and fails once ${culprit.key} is added.` : `it passes on the plan's base and fails once ${culprit.key} is added.`;
    deps.note(`${only.join(', ')} fails on the combined result (round ${round}): ${how}`);
    const next = deps.canFix ? rounds.take() : undefined;
    if (next === undefined) return result({ ticket: culprit, how });
    const origin = culprit.fixes ? (deps.tickets().find((t) => t.taskId === culprit.fixes) ?? culprit) : culprit;
    const fix = await deps.fixUp({ fixes: origin, kind: 'regression', round: next, base: head, ...(await regressionBrief(deps.mirror, origin, failing, how)) });
    if (!done(fix)) {
      deps.note(`The fix-up ${fix.key} ${fix.state === 'completed' ? 'changed nothing' : `ended ${fix.state}`}: the checks' failure stands`);
      return result({ ticket: culprit, how });
    }
    head = await applyCommit(deps.mirror, head, fix.resultCommit, layerMessage(fix));
    layers = [...layers, { ticket: fix, head }];
  }
}
