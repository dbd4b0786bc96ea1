import assert from 'node:assert/strict';
import type { FormatDefinition } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats';
import { isDateTime } from '../src/formats';

const reference = (fullFormats['date-time'] as FormatDefinition<string>).validate as (s: string) => boolean;

const CASES = [
  // canonical (the fast path)
  '2026-11-24T09:30:00.000Z', '2026-11-24T09:30:00Z', '2026-11-24T23:59:59.999999999Z', '2024-02-29T00:00:00Z',
  '2000-02-29T12:00:00Z', '1900-02-29T12:00:00Z', '2023-02-29T12:00:00Z', '2026-04-31T00:00:00Z', '2026-12-31T00:00:00Z',
  '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-00T00:00:00Z', '2026-01-32T00:00:00Z', '2026-01-01T24:00:00Z',
  '2026-01-01T23:60:00Z', '2026-01-01T23:59:60Z', '2026-06-30T23:59:60Z', '2026-01-01T12:00:61Z',
  '2026-01-01T12:00:00.1234567890Z', '2026-01-01T12:00:00.Z',
  // other RFC 3339 forms (the full check)
  '2026-11-24t09:30:00z', '2026-11-24 09:30:00Z', '2026-11-24T09:30:00+02:00', '2026-11-24T09:30:00-0530',
  '2026-11-24T09:30:00+24:00', '2026-11-24T09:30:00+02:60', '2026-11-24T09:30:00',
  // garbage
  '', 'tomorrow', '2026-11-24', '09:30:00Z', '2026-11-24T09:30Z', '２０２６-11-24T09:30:00Z', '2026-11-24T09:30:00.000Z ', ' 2026-11-24T09:30:00Z',
  '20261-11-24T09:30:00Z', '2026-1-24T09:30:00Z', '2026-11-24TT09:30:00Z', '2026-11-24T09:30:00.000ZZ',
];

describe('formats', () => {
  it('date-time gives the same verdict as ajv-formats full date-time on edge cases', () => {
    const differ = CASES.filter((s) => isDateTime(s) !== reference(s));
    assert.deepEqual(differ, []);
    // The corpus has both verdicts in both paths, so the comparison means something.
    assert.ok(CASES.filter((s) => reference(s)).length >= 10);
    assert.ok(CASES.filter((s) => !reference(s)).length >= 15);
  });

  it('date-time agrees with the reference on every instant of a leap year, as toISOString() writes it', () => {
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 3_599_999) {
      const s = new Date(t).toISOString();
      assert.ok(isDateTime(s) && reference(s), s);
    }
  });
});
