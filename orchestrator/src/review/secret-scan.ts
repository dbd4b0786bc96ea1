/**
 * The secret scan before every commit: secretlint's recommended rules (AWS key ids and secret keys,
 * GCP, private keys, npm/GitHub/Slack/OpenAI/... tokens, basic auth in URLs) over each file as it
 * will be committed, plus the orchestrator's own known secrets (server token, model keys). Only lines
 * the commit adds count: a secret already in the base is not this commit's doing.
 */
import type { lintSource as LintSourceFn } from '@secretlint/core' with { 'resolution-mode': 'import' };

type SecretLintCoreConfig = Parameters<typeof LintSourceFn>[0]['options']['config'];

export interface SecretFinding {
  file: string;
  /** 1-based line in the file as committed. */
  line: number;
  rule: string;
  message: string;
}

type LintSource = typeof LintSourceFn;
let loaded: Promise<{ lintSource: LintSource; config: SecretLintCoreConfig }> | undefined;

/** secretlint is ESM-only: loaded on the first scan (never at start-up). */
function secretlint(): Promise<{ lintSource: LintSource; config: SecretLintCoreConfig }> {
  return (loaded ??= (async () => {
    const [{ lintSource }, { creator: preset }] = await Promise.all([import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')]);
    // The AWS rule finds access key ids (AKIA...) only with enableIDScanRule.
    const config: SecretLintCoreConfig = { rules: [{ id: preset.meta.id, rule: preset, rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }] }] };
    return { lintSource, config };
  })());
}

export interface ScanInput {
  file: string;
  content: string;
  /** 1-based lines the commit adds to this file. */
  addedLines: ReadonlySet<number>;
}

export async function scanForSecrets(files: readonly ScanInput[], knownSecrets: readonly string[]): Promise<SecretFinding[]> {
  const { lintSource, config } = await secretlint();
  const known = knownSecrets.filter((s) => s.length >= 8);
  const out: SecretFinding[] = [];
  for (const f of files) {
    if (!f.addedLines.size) continue;
    const r = await lintSource({ source: { filePath: f.file, content: f.content, contentType: 'text' }, options: { config, maskSecrets: true, noPhysicFilePath: true } });
    for (const m of r.messages) {
      const line = m.loc.start.line;
      if (f.addedLines.has(line)) out.push({ file: f.file, line, rule: m.ruleId, message: m.message });
    }
    const lines = f.content.split('\n');
    for (const n of f.addedLines) {
      const text = lines[n - 1] ?? '';
      if (known.some((s) => text.includes(s))) out.push({ file: f.file, line: n, rule: 'pushpals/known-secret', message: 'a secret this orchestrator holds (its token or a model key)' });
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** One line per finding: `file:line  rule  message`. */
export function describeFindings(findings: readonly SecretFinding[]): string {
  return findings.map((f) => `${f.file}:${f.line}  ${f.rule}  ${f.message}`).join('\n');
}
