/** Test helpers: the fixture files, read from the package's fixtures/ directory. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** protocol/ (tests run from protocol/dist/test). */
export const PACKAGE_ROOT = join(__dirname, '..', '..');
export const VALID_DIR = join(PACKAGE_ROOT, 'fixtures', 'valid');
export const INVALID_DIR = join(PACKAGE_ROOT, 'fixtures', 'invalid');

export interface InvalidFixture {
  name: string;
  description: string;
  expect: { code: string; path: string; contains: string };
  message: unknown;
}

const jsonFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

export const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/** Valid fixtures by name (file name without `.json`: `tool_result`, `ack.task_new`, ...). */
export function validFixtures(): Map<string, unknown> {
  return new Map(jsonFiles(VALID_DIR).map((f) => [f.replace(/\.json$/, ''), readJson(join(VALID_DIR, f))]));
}

export function invalidFixtures(): InvalidFixture[] {
  return jsonFiles(INVALID_DIR).map((f) => ({ name: f.replace(/\.json$/, ''), ...(readJson(join(INVALID_DIR, f)) as Omit<InvalidFixture, 'name'>) }));
}

/** A deep copy, so a test can mutate a fixture freely. */
export const clone = <T>(v: T): T => structuredClone(v);

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
