/**
 * Verdicts and how they combine. Every check returns a Judgment; a command line is as severe as its
 * most severe part, so combining is always "take the worse" — nothing ever averages out.
 */
import type { Verdict } from './policy';

export type Risk = 'low' | 'medium' | 'high';

/** The result of judging one simple command (or one redirection). */
export interface Judgment {
  verdict: Verdict;
  risk: Risk;
  reason: string;
  needsNetwork?: boolean;
  /** Structural verdicts (non-static names, writes outside the workspace, …): a policy rule cannot relax them. */
  fixed?: boolean;
  /** Pipeline facts: this command downloads, or runs code read from stdin. */
  tag?: 'fetch' | 'stdin-code';
}

/** A judged part of the command line, with the argv it was judged for. */
export interface Part extends Judgment {
  argv: string[];
}

export interface PartClassification {
  argv: string[];
  verdict: Verdict;
  reason: string;
}

export interface Classification {
  verdict: Verdict;
  risk: Risk;
  reason: string;
  needsNetwork: boolean;
  parts: PartClassification[];
  /** The line was not judged at all (too long, out of time, the classifier failed): `verdict` is never allow. */
  unjudged?: boolean;
}

export const VRANK: Record<Verdict, number> = { allow: 0, ask: 1, deny: 2 };
const RRANK: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

export const allow = (reason: string, risk: Risk = 'low'): Judgment => ({ verdict: 'allow', risk, reason });
export const ask = (reason: string, risk: Risk = 'medium'): Judgment => ({ verdict: 'ask', risk, reason });
export const deny = (reason: string, fixed = false): Judgment => ({ verdict: 'deny', risk: 'high', reason, fixed });
export const askNet = (reason: string, risk: Risk = 'medium'): Judgment => ({ verdict: 'ask', risk, reason, needsNetwork: true });

/** The more severe of two judgments (the first wins ties); network needs and tags accumulate. */
export function worse(a: Judgment, b: Judgment | undefined): Judgment {
  if (!b) return a;
  const w = VRANK[b.verdict] > VRANK[a.verdict] ? b : a;
  const out: Judgment = { ...w, risk: RRANK[b.risk] > RRANK[a.risk] ? b.risk : a.risk };
  if (a.needsNetwork || b.needsNetwork) out.needsNetwork = true;
  if (a.fixed || b.fixed) out.fixed = w.fixed ?? false;
  const tag = a.tag ?? b.tag;
  if (tag) out.tag = tag;
  return out;
}

/** `worse` for accumulators that start empty: undefined until the first finding. */
export const worseOf = (a: Judgment | undefined, b: Judgment | undefined): Judgment | undefined => (a ? worse(a, b) : b);

/** Commit, push and PR creation: allowed only when auto-commit was granted (ctx or policy). */
export function commitClass(autoCommit: boolean, what: string, network: boolean): Judgment {
  const j = autoCommit ? allow(`${what} (auto-commit granted)`, 'medium') : ask(`${what}: needs approval unless auto-commit is granted`, 'high');
  if (network) j.needsNetwork = true;
  return j;
}

/** The line's verdict: the most severe part (the first wins ties), its reason, and the highest risk. */
export function summarise(parts: Part[]): Classification {
  let top: Part | undefined;
  let risk: Risk = 'low';
  let needsNetwork = false;
  for (const p of parts) {
    if (!top || VRANK[p.verdict] > VRANK[top.verdict]) top = p;
    if (RRANK[p.risk] > RRANK[risk]) risk = p.risk;
    if (p.needsNetwork) needsNetwork = true;
  }
  const verdict = top?.verdict ?? 'deny';
  if (verdict === 'deny') risk = 'high';
  const reason = top ? (parts.length > 1 ? `${top.argv.join(' ')}: ${top.reason}` : top.reason) : 'nothing to run';
  return { verdict, risk, reason, needsNetwork, parts: parts.map((p) => ({ argv: p.argv, verdict: p.verdict, reason: p.reason })) };
}
