/** Command policy engine: see README.md. */
export { classifyCommand, type ClassifyContext } from './classify';
export { EMPTY_POLICY, loadPolicy, matchPolicy, policyPath, validatePolicy, type Policy, type PolicyRule, type Verdict } from './policy';
export { sedScriptRisky } from './rules/text-tools';
export type { Classification, PartClassification, Risk } from './verdicts';
