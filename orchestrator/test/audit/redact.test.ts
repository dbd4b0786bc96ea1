/**
 * Redaction, as a table: what must go (true positives) and what must stay untouched (false
 * positives a too-greedy pattern produced: whole lines vanishing after a `Password:` prompt,
 * flag words and placeholders taken for secrets).
 */
import * as assert from 'node:assert/strict';
import { REDACTED, redactSecrets } from '../../src/audit';
import { looksSecret } from '../../src/audit/redact';
import { scanForSecrets } from '../../src/review/secret-scan';

const R = REDACTED;

/** [input, expected output] — the secret value goes, everything else on the line stays. */
const REDACTS: Array<[string, string]> = [
  ['Password: hunter22', `Password: ${R}`],
  ['Password: hunter22 (saved)', `Password: ${R} (saved)`],
  ['find-token: abc123def456', `find-token: ${R}`],
  ['password=pa55word&user=bob', `password=${R}&user=bob`],
  ['export API_KEY=zzzzzzzzzzzz; echo done', `export API_KEY=${R}; echo done`],
  ['{"token": "abc123456", "n": 1}', `{"token": "${R}", "n": 1}`],
  ["client_secret: 'q9w8e7r6'", `client_secret: '${R}'`],
  ['db pwd=abc1', `db pwd=${R}`],
  ['curl -H "Authorization: Bearer abcdefghijklmnop1234" https://x', `curl -H "Authorization: Bearer ${R}" https://x`],
  ['Authorization: Basic dXNlcjpwYXNz', `Authorization: Basic ${R}`],
  ['got Bearer abcdefghijk123 back', `got Bearer ${R} back`],
  ['aws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY', `aws_secret_access_key = ${R}`],
  ['key ghp_abcdefghijklmnopqrstuvwxyz0123456789 end', `key ${R} end`],
  ['https://bob:pa55word@github.com/x.git', `https://bob:${R}@github.com/x.git`],
  ['line 1\nPassword: hunter22\nline 3', `line 1\nPassword: ${R}\nline 3`],
];

/** Inputs that must come back unchanged. */
const KEEPS: string[] = [
  'find-token: …',
  'Password: …',
  'Password: ',
  'Password:',
  'find-token: \nPassword: \nok done', // prompts with no value: the following lines must not vanish
  'Password:\nhello world\nlast line',
  'Authorization:\nnext line here',
  'tokens: 5',
  'secret: true',
  'token: null',
  'password: required',
  'token: ***',
  'token: <your token here>',
  'API_KEY=$API_KEY',
  'API_KEY=${API_KEY}',
  'PWD=/workspace',
  'OLDPWD=/home/user',
  'token="" (empty)',
  'npm test passed: 12 tests, token count 5',
  'my password is long',
  'Authorization: Basic',
];

describe('audit: redaction table', () => {
  for (const [input, expected] of REDACTS) {
    it(`redacts only the value in ${JSON.stringify(input)}`, () => assert.equal(redactSecrets(input), expected));
  }
  for (const input of KEEPS) {
    it(`keeps ${JSON.stringify(input)} as it is`, () => assert.equal(redactSecrets(input), input));
  }

  it('known secret values go wherever they appear, also inside words', () => {
    assert.equal(redactSecrets('x=S3rverTok3n-abc; echo S3rverTok3n-abc', ['S3rverTok3n-abc']), `x=${R}; echo ${R}`);
  });

  it('looksSecret: length or letters mixed with digits, never flags, placeholders, small numbers, paths', () => {
    for (const v of ['hunter', 'abc1', 'x9', 'correcthorsebatterystaple', 'dXNlcjpwYXNz']) assert.equal(looksSecret(v), true, v);
    for (const v of ['', '…', '***', 'true', 'None', 'found', '12345', '%s', '{{token}}', '/run/secrets/key', './key', '~/key']) assert.equal(looksSecret(v), false, v);
  });
});

describe('audit: redaction covers what the commit secret scan (secretlint recommended) finds', () => {
  // Fake secrets of each format, built from a fixed alphabet (no real credential).
  const r = (n: number, a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string => Array.from({ length: n }, (_, i) => a[(i * 7 + 3) % a.length]).join('');
  const hex = (n: number): string => Array.from({ length: n }, (_, i) => '0123456789abcdef'[(i * 5 + 1) % 16]).join('');
  const samples: Record<string, string> = {
    aws: `AKIAQWERTYUIOPASDFGH`,
    slack: `xoxb-1234567890-1234567890123-${r(24)}`,
    slackWebhook: `https://hooks.slack.com/services/T${r(8, 'ABCDEFGHJ0123456789')}/B${r(8, 'ABCDEFGHJ0123456789')}/${r(24)}`,
    sendgrid: `SG.${r(22)}.${r(43)}`,
    shopify: `shpat_${hex(32)}`,
    github: `ghp_${r(36)}`,
    linear: `lin_api_${r(40)}`,
    npm: `npm_${r(36)}`,
    openai: `sk-${r(20)}T3BlbkFJ${r(20)}`,
  };
  for (const [rule, secret] of Object.entries(samples)) {
    it(`${rule}: secretlint flags it, and the output redaction removes it`, async () => {
      const content = `const key = "${secret}";\n`;
      const findings = await scanForSecrets([{ file: 'a.js', content, addedLines: new Set([1]) }], []);
      assert.ok(findings.length > 0, `secretlint finds the ${rule} sample (else the sample is wrong)`);
      const out = redactSecrets(`output: ${secret} done`, []);
      assert.ok(!out.includes(secret.slice(-16)), `${rule} leaks through redaction: ${out}`);
    });
  }
});
