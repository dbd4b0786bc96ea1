/** Command policy engine: see README.md. */
export { classifyCommand, sedScriptRisky, type Classification, type ClassifyContext, type PartClassification, type Risk } from './classify';
export { EMPTY_POLICY, loadPolicy, matchPolicy, policyPath, validatePolicy, type Policy, type PolicyRule, type Verdict } from './policy';
