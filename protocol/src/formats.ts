/**
 * The string formats the schemas use (`date-time`, `uri`), for the generated validators.
 * `uri` is ajv-formats' own. `date-time` is ajv-formats' full RFC 3339 check behind a fast path:
 * the canonical form every peer sends (`Date#toISOString()`: `2026-11-24T09:30:00.000Z`) is checked
 * with one regex and a few comparisons; anything else (offsets, lowercase, leap seconds, invalid
 * input) goes to the full check. The fast path only ever ACCEPTS strings the full check accepts
 * (tested), so the verdicts are the same; the full check alone costs about half of validating a 2 KB event.
 */
import type { FormatDefinition } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats';

const full = fullFormats['date-time'] as FormatDefinition<string>;
const fullDateTime = full.validate as (s: string) => boolean;

// Positions are fixed in the canonical form: YYYY-MM-DDTHH:MM:SS[.fraction]Z.
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z$/;
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
/** The number written by the two ASCII digits at s[i], s[i+1] (already checked to be digits). */
const two = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

function isCanonicalDateTime(s: string): boolean {
  // test() + charCodeAt: exec() with capture groups and Number() conversions cost 10x more.
  if (!CANONICAL.test(s)) return false;
  const month = two(s, 5);
  const day = two(s, 8);
  if (month < 1 || month > 12 || day < 1 || two(s, 11) > 23 || two(s, 14) > 59 || two(s, 17) > 59) return false;
  if (day <= DAYS_IN_MONTH[month]!) return true;
  return month === 2 && day === 29 && isLeapYear(two(s, 0) * 100 + two(s, 2));
}

/** RFC 3339 date-time, with time zone: the same verdicts as ajv-formats' full `date-time`. */
export function isDateTime(s: string): boolean {
  return isCanonicalDateTime(s) || fullDateTime(s);
}

/** The formats object the generated validators `require` (see scripts/gen-validators.mjs). */
export const protocolFormats = {
  'date-time': { type: 'string', validate: isDateTime, compare: full.compare },
  uri: fullFormats.uri,
} as const;
