import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { PushPalsError } from '../errors';
import { LABEL_RECIPE, LABEL_VARIANTS, imageRecipe } from './image-recipe';

export const DEFAULT_IMAGE = 'pushpals-worker:dev';

const ENGINE_HELP =
  'Start Docker: on these machines run `sudo bash scripts/setup-docker.sh` (installs docker.io if needed, ' +
  'starts dockerd without a bridge, builds the worker image); elsewhere start Docker Desktop or ' +
  '`sudo systemctl start docker`, and make sure this user may use the socket (or set DOCKER_HOST).';
const imageHelp = (image: string) =>
  `Build it with \`pushpals sandbox build-image\` (Dockerfile where a registry is reachable, debootstrap otherwise) ` +
  `or \`sudo IMAGE=${image} bash scripts/setup-docker.sh\`.`;

const where = () => process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';

function errText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}
function statusCode(e: unknown): number | undefined {
  const c = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof c === 'number' ? c : undefined;
}

/** Turns a dockerode failure into an actionable PushPalsError (engine down, image missing), else rethrows it. */
export function explainDockerError(e: unknown, image?: string): Error {
  if (e instanceof PushPalsError) return e;
  const code = errCode(e);
  if (code && ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE'].includes(code)) {
    return new PushPalsError('sandbox_unavailable', `Docker engine not reachable at ${where()} (${code}). ${ENGINE_HELP}`, { cause: code });
  }
  if (image && statusCode(e) === 404 && /no such image|not found/i.test(errText(e))) {
    return new PushPalsError('sandbox_unavailable', `sandbox image ${image} is missing. ${imageHelp(image)}`, { image });
  }
  return e instanceof Error ? e : new Error(errText(e));
}

/** Fails with an actionable `sandbox_unavailable` unless the engine answers within timeoutMs. */
export async function checkEngine(docker: Docker, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
      }),
    ]);
  } catch (e) {
    const x = explainDockerError(e);
    if (x instanceof PushPalsError) throw x;
    throw new PushPalsError('sandbox_unavailable', `Docker engine at ${where()} did not answer: ${x.message}. ${ENGINE_HELP}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A warning when the local image was built from another recipe than the one on disk (its
 * `pushpals.recipe` label differs from imageRecipe() for its variants: e.g. it predates
 * safe.bareRepository=explicit in /etc/gitconfig). It still runs; rebuilding is the fix. Undefined
 * when it matches, or for an image no PushPals builder made (no label) or without the recipe files.
 */
export async function imageOutdated(docker: Docker, image: string, repoRoot = findRepoRoot()): Promise<string | undefined> {
  let labels: Record<string, string>;
  try {
    labels = (await docker.getImage(image).inspect()).Config?.Labels ?? {};
  } catch {
    return undefined; // checkImage reports a missing image
  }
  const have = labels[LABEL_RECIPE];
  if (!have) return undefined;
  let want: string;
  try {
    want = imageRecipe(repoRoot, (labels[LABEL_VARIANTS] ?? '').split(',').filter(Boolean)).hash;
  } catch {
    return undefined; // no recipe files here (or a variant this checkout does not know): nothing to compare
  }
  if (have === want) return undefined;
  return `sandbox image ${image} was built from recipe ${have}, this checkout's recipe is ${want} (e.g. an image without safe.bareRepository=explicit in /etc/gitconfig). ${imageHelp(image)}`;
}

/** Fails with an actionable `sandbox_unavailable` if the image is not present locally. Never pulls. */
export async function checkImage(docker: Docker, image: string): Promise<void> {
  try {
    await docker.getImage(image).inspect();
  } catch (e) {
    if (statusCode(e) === 404) throw new PushPalsError('sandbox_unavailable', `sandbox image ${image} is missing. ${imageHelp(image)}`, { image });
    throw explainDockerError(e, image);
  }
}

/** Repository root as seen from the compiled file (orchestrator/dist/src/sandbox) or the source (orchestrator/src/sandbox). */
function findRepoRoot(): string {
  for (const up of ['../../../..', '../../..']) {
    const r = resolve(__dirname, up);
    if (existsSync(join(r, 'scripts', 'setup-docker.sh')) || existsSync(join(r, 'orchestrator', 'docker', 'Dockerfile'))) return r;
  }
  return resolve(__dirname, '../../../..');
}

/** True if Docker Hub answers (any HTTP status) within timeoutMs. */
export function registryReachable(timeoutMs = 3000, url = 'https://registry-1.docker.io/v2/'): Promise<boolean> {
  return new Promise((res) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (r) => {
      r.resume();
      res(true);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => res(false));
    req.end();
  });
}

export interface BuildImageOptions {
  docker?: Docker;
  image?: string;
  /** Repository root (holds orchestrator/docker/Dockerfile and scripts/setup-docker.sh). */
  repoRoot?: string;
  /** 'auto' (default): Dockerfile if the base image is local or a registry answers, else debootstrap. */
  method?: 'auto' | 'dockerfile' | 'debootstrap';
  /** Progress lines (build output). */
  log?: (line: string) => void;
  /** Extra toolchains from orchestrator/docker/packages.txt (`go`, `rust`, `java`); default none. */
  variants?: string[];
  /** Build even when the image carries this recipe's hash already. */
  force?: boolean;
}

export interface BuildImageResult {
  image: string;
  /** 'cached': the image already carried this recipe's hash (label pushpals.recipe), nothing was built. */
  method: 'dockerfile' | 'debootstrap' | 'cached';
  durationMs: number;
  recipe: string;
  variants: string[];
  /** The image's size in bytes. */
  sizeBytes: number;
}

/** The recipe hash an image was built from (its pushpals.recipe label), or undefined (absent or unlabelled). */
export async function imageRecipeLabel(docker: Docker, image: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(image).inspect();
    return info.Config?.Labels?.[LABEL_RECIPE] ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the worker image: `docker build` of orchestrator/docker/Dockerfile (FROM debian:bookworm-slim)
 * when the base image is local or a registry is reachable, otherwise scripts/setup-docker.sh, which
 * builds the same image from a debootstrap root fs (needs root and a Debian mirror). Backs
 * `pushpals sandbox build-image`.
 */
export async function buildWorkerImage(o: BuildImageOptions = {}): Promise<BuildImageResult> {
  const docker = o.docker ?? new Docker();
  const image = o.image ?? DEFAULT_IMAGE;
  const root = o.repoRoot ?? findRepoRoot();
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  await checkEngine(docker);
  const recipe = imageRecipe(root, o.variants);
  const done = async (method: BuildImageResult['method']): Promise<BuildImageResult> => {
    const info = await docker.getImage(image).inspect();
    return { image, method, durationMs: Math.round(performance.now() - t0), recipe: recipe.hash, variants: recipe.variants, sizeBytes: info.Size };
  };
  if (!o.force && (await imageRecipeLabel(docker, image)) === recipe.hash) {
    log(`image ${image} was built from this recipe (${recipe.hash}) already`);
    return done('cached');
  }
  let method = o.method ?? 'auto';
  if (method === 'auto') {
    let baseLocal = false;
    try {
      await docker.getImage('debian:bookworm-slim').inspect();
      baseLocal = true;
    } catch {
      /* not local */
    }
    method = baseLocal || (await registryReachable()) ? 'dockerfile' : 'debootstrap';
    log(`build method: ${method}${baseLocal ? ' (debian:bookworm-slim is local)' : ''}`);
  }
  if (method === 'dockerfile') {
    const ctx = join(root, 'orchestrator', 'docker');
    if (!existsSync(join(ctx, 'Dockerfile'))) throw new PushPalsError('not_found', `no Dockerfile at ${ctx}`);
    const stream = await docker.buildImage(
      { context: ctx, src: ['Dockerfile', 'packages.txt'] },
      { t: image, rm: true, forcerm: true, buildargs: { VARIANTS: recipe.variants.join(' ') }, labels: { [LABEL_RECIPE]: recipe.hash, [LABEL_VARIANTS]: recipe.variants.join(',') } },
    );
    await new Promise<void>((res, rej) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, out: Array<{ error?: string }>) => {
          const failed = err ?? out.find((x) => x.error);
          if (failed) rej(new PushPalsError('sandbox_unavailable', `docker build of ${image} failed: ${err ? err.message : String(failed)}`));
          else res();
        },
        (ev: { stream?: string; error?: string }) => {
          const line = (ev.stream ?? ev.error ?? '').trimEnd();
          if (line) log(line);
        },
      );
    });
  } else {
    const script = join(root, 'scripts', 'setup-docker.sh');
    if (!existsSync(script)) throw new PushPalsError('not_found', `no ${script}`);
    if (process.getuid?.() !== 0) {
      throw new PushPalsError('sandbox_unavailable', `no registry is reachable, and building ${image} with debootstrap needs root: run \`sudo IMAGE=${image} bash ${script}\``);
    }
    await runScript(script, { IMAGE: image, VARIANTS: recipe.variants.join(' ') }, log);
  }
  await checkImage(docker, image);
  return done(method);
}

/** Runs a set-up script as CI would (no stdin), its output line by line to `log`. */
function runScript(script: string, env: Record<string, string>, log: (line: string) => void): Promise<void> {
  return new Promise<void>((res, rej) => {
    const child = spawn('bash', [script], { env: { ...process.env, ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const onLine = (d: Buffer) => d.toString('utf8').split('\n').filter(Boolean).forEach(log);
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.on('error', (e) => rej(e));
    child.on('close', (code) => (code === 0 ? res() : rej(new PushPalsError('sandbox_unavailable', `${script} failed with exit code ${code}`))));
  });
}

/**
 * Builds the OpenHands worker image with scripts/setup-openhands-image.sh: debootstrap Debian 13 +
 * python3.13 + the agent server from PyPI with pinned hashes (needs root). Skipped by the script when
 * an image with the same content label exists. Backs `pushpals sandbox build-image --openhands`.
 */
export async function buildOpenHandsImage(o: { image: string; repoRoot?: string; docker?: Docker; log?: (line: string) => void }): Promise<BuildImageResult> {
  const docker = o.docker ?? new Docker();
  const script = join(o.repoRoot ?? findRepoRoot(), 'scripts', 'setup-openhands-image.sh');
  const t0 = performance.now();
  await checkEngine(docker);
  if (!existsSync(script)) throw new PushPalsError('not_found', `no ${script}`);
  if (process.getuid?.() !== 0) throw new PushPalsError('sandbox_unavailable', `building ${o.image} (debootstrap, chroot) needs root: run \`sudo OPENHANDS_IMAGE=${o.image} bash ${script}\``);
  await runScript(script, { OPENHANDS_IMAGE: o.image }, o.log ?? (() => {}));
  await checkImage(docker, o.image);
  const info = await docker.getImage(o.image).inspect();
  return { image: o.image, method: 'debootstrap', durationMs: Math.round(performance.now() - t0), recipe: info.Config?.Labels?.[LABEL_RECIPE] ?? '', variants: [], sizeBytes: info.Size };
}
