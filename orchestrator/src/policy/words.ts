/**
 * Static evaluation of shell words: quote removal and escape processing, exactly as far as it can
 * be done without running anything. A word whose value depends on run time (parameter expansion,
 * command substitution, arithmetic, process substitution, brace expansion) is marked non-static.
 */
import { nodeType, sourceOf, type Word, type WordPart } from './shell';

export interface Arg {
  /** The value after quote removal; dynamic parts are kept as their source text. */
  text: string;
  /** True when the value is fully known before run time. */
  static: boolean;
  /** An unquoted glob character (`*`, `?`, `[`) is present: the shell may expand it. */
  glob: boolean;
  /** Starts with an unquoted `~`: expands to a home directory. */
  tilde: boolean;
  /** The word as written (for display). */
  raw: string;
}

/** A literal argument (for wrapper expansions such as xargs' appended arguments). */
export const literalArg = (text: string): Arg => ({ text, static: true, glob: false, tilde: false, raw: text });
/** An argument that is only known at run time. */
export const dynamicArg = (raw: string): Arg => ({ text: raw, static: false, glob: false, tilde: false, raw });

/** Unquoted literal: `\x` → `x`, `\<newline>` → nothing. */
function unescapeUnquoted(s: string, out: { glob: boolean; brace: boolean }): string {
  let r = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\') {
      const next = s[i + 1];
      i++;
      if (next === undefined || next === '\n') continue;
      r += next;
      continue;
    }
    if (c === '*' || c === '?' || c === '[') out.glob = true;
    if (c === '{' || c === '}') out.brace = true;
    r += c;
  }
  return r;
}

/** Inside double quotes, backslash only escapes $ ` " \ and newline. */
function unescapeDouble(s: string): string {
  let r = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    const next = s[i + 1];
    if (c === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
      i++;
      if (next !== '\n') r += next;
      continue;
    }
    r += c;
  }
  return r;
}

/** ANSI-C quoting ($'...'): \n \t \xHH \NNN \uHHHH \UHHHHHHHH \cX and friends. Null when unknown. */
export function decodeAnsiC(s: string): string | null {
  const simple: Record<string, string> = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
  let r = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      r += c;
      continue;
    }
    const n = s[i + 1];
    if (n === undefined) return null;
    i++;
    if (simple[n] !== undefined) r += simple[n];
    else if (n === 'x' || n === 'u' || n === 'U') {
      const max = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      let hex = '';
      while (hex.length < max && /[0-9a-fA-F]/.test(s[i + 1] ?? '')) hex += s[++i];
      if (!hex) return null;
      r += String.fromCodePoint(parseInt(hex, 16));
    } else if (/[0-7]/.test(n)) {
      let oct = n;
      while (oct.length < 3 && /[0-7]/.test(s[i + 1] ?? '')) oct += s[++i];
      r += String.fromCharCode(parseInt(oct, 8) & 0xff);
    } else if (n === 'c') {
      const ch = s[++i];
      if (ch === undefined) return null;
      r += String.fromCharCode(ch.charCodeAt(0) & 0x1f);
    } else r += `\\${n}`;
  }
  return r;
}

/** Evaluates a word statically. */
export function evalWord(src: string, word: Word): Arg {
  const flags = { glob: false, brace: false };
  let text = '';
  let isStatic = true;
  let tilde = false;
  word.Parts.forEach((part: WordPart, idx) => {
    const t = nodeType(part);
    if (t === 'Lit') {
      const v = part.Value ?? '';
      if (idx === 0 && v.startsWith('~')) tilde = true;
      text += unescapeUnquoted(v, flags);
    } else if (t === 'SglQuoted') {
      if (part.Dollar) {
        const d = decodeAnsiC(part.Value ?? '');
        if (d === null) {
          isStatic = false;
          text += sourceOf(src, part);
        } else text += d;
      } else text += part.Value ?? '';
    } else if (t === 'DblQuoted') {
      if (part.Dollar) isStatic = false; // $"..." is locale translation: value not knowable
      for (const inner of part.Parts ?? []) {
        if (nodeType(inner) === 'Lit') text += unescapeDouble(inner.Value ?? '');
        else {
          isStatic = false;
          text += sourceOf(src, inner);
        }
      }
    } else {
      isStatic = false;
      text += sourceOf(src, part);
    }
  });
  if (flags.brace && /\{[^}]*(,|\.\.)[^}]*\}/.test(text)) isStatic = false; // bash brace expansion
  return { text, static: isStatic, glob: flags.glob, tilde, raw: sourceOf(src, word) };
}
