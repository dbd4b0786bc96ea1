/**
 * Redaction, as a table: what must go (true positives) and what must stay untouched (false
 * positives a too-greedy pattern produced: whole lines vanishing after a `Password:` prompt,
 * flag words and placeholders taken for secrets).
 */
import * as assert from 'node:assert/strict';
import { REDACTED, redactSecrets } from '../../src/audit';
import { looksSecret } from '../../src/audit/redact';

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
