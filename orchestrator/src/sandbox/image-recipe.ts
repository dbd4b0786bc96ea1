/**
 * The worker image's recipe: which Debian packages (orchestrator/docker/packages.txt, "base" plus the
 * chosen toolchain variants) and its hash, the label `pushpals.recipe` that both builders set
 * (scripts/setup-docker.sh and the Dockerfile path). An image whose label differs from the recipe
 * on disk was built from an older recipe and is rebuilt.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../errors';

export const LABEL_RECIPE = 'pushpals.recipe';
export const LABEL_VARIANTS = 'pushpals.variants';

export interface ImageRecipe {
  /** Sorted, unique variant names (without "base"). */
  variants: string[];
  /** Debian packages to install: base first, then each variant's. */
  packages: string[];
  /** 16 hex digits; equal to what scripts/setup-docker.sh computes for the same inputs. */
  hash: string;
}

const packagesFile = (repoRoot: string) => join(repoRoot, 'orchestrator', 'docker', 'packages.txt');

/** The toolchain variants packages.txt offers (`go`, `rust`, `java`, ...), with their packages. */
export function availableVariants(repoRoot: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(packagesFile(repoRoot), 'utf8').split('\n')) {
    const [name, ...pkgs] = line.trim().split(/\s+/);
    if (!name || name.startsWith('#') || pkgs.length === 0) continue;
    out.set(name, pkgs);
  }
  return out;
}

/** The recipe for these variants; an unknown variant is a typed error listing the known ones. */
export function imageRecipe(repoRoot: string, variants: readonly string[] = []): ImageRecipe {
  const table = availableVariants(repoRoot);
  const chosen = [...new Set(variants.filter((v) => v !== 'base'))].sort();
  const unknown = chosen.filter((v) => !table.has(v));
  if (unknown.length) {
    const known = [...table.keys()].filter((k) => k !== 'base').join(', ');
    throw new PushPalsError('invalid_message', `unknown image variant ${unknown.join(', ')}: known are ${known}`);
  }
  const packages = ['base', ...chosen].flatMap((v) => table.get(v) ?? []);
  // The same bytes, in the same order, as setup-docker.sh hashes.
  const h = createHash('sha256');
  for (const f of [join(repoRoot, 'scripts', 'setup-docker.sh'), join(repoRoot, 'orchestrator', 'docker', 'Dockerfile'), packagesFile(repoRoot)]) h.update(readFileSync(f));
  h.update(`variants=${chosen.join(' ')}\n`);
  return { variants: chosen, packages, hash: h.digest('hex').slice(0, 16) };
}

/** The default tag of a variant image: `pushpals-worker:dev` + `--with go,rust` → `pushpals-worker:dev-go-rust`. */
export function variantImageName(base: string, variants: readonly string[]): string {
  const v = [...new Set(variants)].sort();
  if (v.length === 0) return base;
  const colon = base.lastIndexOf(':');
  const hasTag = colon > base.lastIndexOf('/');
  return hasTag ? `${base}-${v.join('-')}` : `${base}:${v.join('-')}`;
}
