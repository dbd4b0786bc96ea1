/**
 * Secret redaction and output truncation for the audit trail (and anything else that stores or
 * shows command output).
 */

export const REDACTED = '[REDACTED]';

/**
 * Patterns for well-known credential formats. Each replaces the secret, keeping any named prefix ($1).
 * Separators are `[ \t]`, never `\s`: a pattern must not reach across a line end (a `Password:`
 * prompt with nothing after it would otherwise swallow the next line).
 */
const PATTERNS: Array<[RegExp, string | ((m: string, ...groups: string[]) => string)]> = [
  // PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, plain PKCS#8); a key cut off before its END line
  // is redacted to the end of the text (the rest of it is key material)
  [/-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g, `-----BEGIN $1PRIVATE KEY-----${REDACTED}-----END $1PRIVATE KEY-----`],
  // Authorization headers (Bearer/Basic/token/…), and bare "Bearer <token>"
  [/(\bAuthorization[ \t]*[:=][ \t]*(?:(?:Bearer|Basic|Token|Digest|Bot)[ \t]+)?)([^\s"',;]+)/gi, (m, prefix, value) => (looksSecret(value) ? `${prefix}${REDACTED}` : m)],
  [/(\bBearer[ \t]+)[A-Za-z0-9._~+/-]{8,}=*/g, `$1${REDACTED}`],
  // GitHub tokens
  [/\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b/g, REDACTED],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, REDACTED],
  // OpenAI / Anthropic style keys (sk-..., sk-proj-..., sk-ant-...)
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  // AWS access key ids and secret keys in assignments
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, REDACTED],
  [/(\baws_secret_access_key[ \t]*[=:][ \t]*["']?)[A-Za-z0-9/+=]{20,}/gi, `$1${REDACTED}`],
  // Slack, Google, npm, GitLab tokens
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, REDACTED],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, REDACTED],
  [/\bglpat-[A-Za-z0-9_-]{20,}\b/g, REDACTED],
  // SendGrid, Shopify, Linear, 1Password service-account tokens, Slack incoming-webhook URLs: the other
  // formats secretlint's recommended preset (the commit's secret scan) finds, so outputs lose them too
  [/\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g, REDACTED],
  [/\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b/g, REDACTED],
  [/\blin_api_[A-Za-z0-9]{40}\b/g, REDACTED],
  [/\bops_eyJ[A-Za-z0-9+/=_-]{40,}/g, REDACTED],
  [/\bhttps:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_+-]{20,}/g, REDACTED],
  // JSON Web Tokens
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
  // Credentials in URLs: scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${REDACTED}@`],
  // key=value / key: value for secret-looking keys (password=…, "token": "…", API_KEY=…): only the
  // value goes, quotes and the rest of the line stay, and only when the value looks like a secret
  [
    /(\b[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret)["']?[ \t]*[=:][ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s&;,"'}]+)/gi,
    (m, prefix, value) => {
      const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
      return looksSecret(quote ? value.slice(1, -1) : value) ? `${prefix}${quote}${REDACTED}${quote}` : m;
    },
  ],
];

/** Values after a secret-looking key that are not secrets: flags, placeholders, prompts. */
const NOT_SECRET = /^(?:true|false|null|none|nil|undefined|yes|no|on|off|required|optional|missing|unset|empty|hidden|redacted|string|\[REDACTED\])$/i;

/**
 * Whether the value after `password:` / `token=` / `Authorization:` looks like a secret: at least
 * 6 characters, or letters and digits mixed — and not a flag word, a placeholder (`…`, `***`,
 * `<token>`, `$TOKEN`, `${TOKEN}`, `%s`), a short number (`tokens: 5`) or a path (`PWD=/workspace`).
 */
export function looksSecret(value: string): boolean {
  const v = value.trim();
  if (!/[A-Za-z0-9]/.test(v)) return false; // empty, "…", "***", "---"
  if (NOT_SECRET.test(v)) return false;
  if (/^(?:<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[sd]|\{\{?[^}]*\}\}?)$/.test(v)) return false;
  if (/^\d{1,5}$/.test(v)) return false;
  if (/^(?:\/|\.\.?\/|~\/)/.test(v)) return false;
  return v.length >= 6 || (/[A-Za-z]/.test(v) && /\d/.test(v));
}

/** Every pattern above needs one of these substrings: a fast pre-filter. Keep in sync with PATTERNS. */
const TRIGGER = /PRIVATE KEY|authorization|bearer|gh[pousr]_|github_pat_|sk-|A[KSGIRNP][A-Z]{2}[A-Z0-9]{16}|aws_secret|xox[abposr]-|AIza|npm_|glpat-|eyJ|SG\.|shp(?:at|ss|ca|pa)_|lin_api_|ops_|hooks\.slack\.com|:\/\/[^\s:/@]+:[^\s@/]+@|passw|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key/i;

/**
 * Replaces known secret values (exact matches, e.g. the orchestrator's own token or LLM key) and
 * well-known credential formats with [REDACTED]. Values shorter than 6 characters are ignored as
 * known secrets (they would redact ordinary words).
 */
export function redactSecrets(text: string, knownSecrets: Iterable<string> = []): string {
  let out = text;
  const known = [...knownSecrets].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  for (const s of known) if (out.includes(s)) out = out.split(s).join(REDACTED);
  // One cheap scan first: most command output contains none of the patterns' anchors.
  if (!TRIGGER.test(out)) return out;
  for (const [re, repl] of PATTERNS) out = typeof repl === 'string' ? out.replace(re, repl) : out.replace(re, repl as (m: string, ...g: string[]) => string);
  return out;
}

/** Moves a byte offset back to the start of a UTF-8 character. */
function charStart(buf: Buffer, i: number): number {
  while (i > 0 && i < buf.length && ((buf[i] as number) & 0xc0) === 0x80) i--;
  return i;
}

/**
 * Caps `text` at about `maxBytes` UTF-8 bytes, keeping the head (3/4) and the tail (1/4) — the end of
 * a command's output is usually where its error is — with a marker naming how much was cut.
 */
export function truncateOutput(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  const headLen = charStart(buf, Math.floor(maxBytes * 0.75));
  const tailStart = charStart(buf, buf.length - Math.floor(maxBytes * 0.25));
  const cut = tailStart - headLen;
  return `${buf.subarray(0, headLen).toString('utf8')}\n…[pushpals: truncated ${cut} bytes]…\n${buf.subarray(tailStart).toString('utf8')}`;
}
