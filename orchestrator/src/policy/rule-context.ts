/**
 * What a per-command rule may use. Rules are plain functions over this interface so that each
 * rule table lives in its own module while wrappers can still classify the command they run.
 */
import type { WorkspacePaths } from './paths';
import type { Policy } from './policy';
import type { VariableFlow } from './variable-flow';
import type { Judgment } from './verdicts';
import type { Arg } from './words';

export interface RuleContext {
  readonly paths: WorkspacePaths;
  /** Commit, push and PR creation were granted (ctx or policy). */
  readonly autoCommit: boolean;
  readonly policy: Policy;
  /** Which variables may hold text bash would evaluate (names, arithmetic): see variable-flow.ts. */
  readonly flow: VariableFlow;
  /** Shell functions defined so far in the line (their bodies are classified where defined). */
  readonly functions: ReadonlySet<string>;
  /** Classifies a command another command runs (wrappers, find -exec, git bisect run; never a shell function); the policy applies. */
  command(args: Arg[], depth: number): Judgment;
  /** Classifies an inline script (`bash -c`) one level deeper; its parts are recorded separately. */
  script(src: string, depth: number, display: string[]): void;
}

/** Judges one command given its name (basename) and its arguments. */
export type Rule = (ctx: RuleContext, name: string, args: Arg[], depth: number) => Judgment;

/** Merges rule tables into one lookup; a name claimed twice is a programming error. */
export function ruleTable(...tables: Record<string, Rule>[]): ReadonlyMap<string, Rule> {
  const out = new Map<string, Rule>();
  for (const t of tables)
    for (const [name, rule] of Object.entries(t)) {
      if (out.has(name)) throw new Error(`policy: two rules for ${name}`);
      out.set(name, rule);
    }
  return out;
}

/** The same rule for several command names. */
export const sameRule = (names: Iterable<string>, rule: Rule): Record<string, Rule> => Object.fromEntries([...names].map((n) => [n, rule]));
