/**
 * The package registries configured on THIS machine, read at run time from the package managers'
 * own configuration (nothing is hard-coded): `npm config list --json` (registry and @scope:registry),
 * PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / `pip config list` (else pip's own default index, asked from
 * pip), `go env GOPROXY GOSUMDB`, and the registries in cargo's config files. A registry whose files
 * live on another host says so itself: a PEP 691 index lists its file URLs, a sparse cargo index
 * names its download host in config.json; those hosts are added too. The result is the default
 * egress allowlist, and the registry URLs the set-up sandbox is pointed at.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { parseAllowEntry, type AllowEntry } from './allowlist';

export type Ecosystem = 'npm' | 'pip' | 'go' | 'cargo';

export interface Registry {
  ecosystem: Ecosystem;
  url: string;
  /** Where it was read from, e.g. `npm config list`. */
  source: string;
}

export interface DetectedRegistries {
  registries: Registry[];
  /** The allowlist entries they imply (registry hosts and their file hosts). */
  entries: AllowEntry[];
  /** The environment a set-up sandbox gets so its package managers use the same registries. */
  env: Record<string, string>;
  /**
   * CA bundles the machine's package managers are configured to trust (npm `cafile`, pip `cert`,
   * SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, ...): where TLS to the registries is intercepted by a
   * corporate proxy, the sandbox must trust the same authorities to reach them at all.
   */
  caFiles: string[];
  /** What could not be read (a package manager missing, a timeout): shown, never fatal. */
  notes: string[];
}

export interface DetectOptions {
  env?: NodeJS.ProcessEnv;
  /** Per probe (each package manager, each discovery request). Default 8 s. */
  timeoutMs?: number;
  /** Ask each index where its files live (one HTTPS request per index). Default true. */
  discoverFileHosts?: boolean;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | undefined> {
  return new Promise((res) => {
    // cwd outside any project: the machine's configuration, not a project's .npmrc or workspace.
    execFile(cmd, args, { env, cwd: tmpdir(), timeout: timeoutMs, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout) => res(err ? undefined : stdout));
  });
}

function getText(url: string, accept: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((res) => {
    const req = request(url, { method: 'GET', headers: { Accept: accept }, timeout: timeoutMs }, (r) => {
      if ((r.statusCode ?? 500) >= 300) {
        r.resume();
        return res(undefined);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      r.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 4 << 20) req.destroy();
        else chunks.push(c);
      });
      r.on('end', () => res(Buffer.concat(chunks).toString('utf8')));
      r.on('error', () => res(undefined));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => res(undefined));
    req.end();
  });
}

const httpUrl = (s: string): URL | undefined => {
  try {
    const u = new URL(s.trim().replace(/^sparse\+/, ''));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : undefined;
  } catch {
    return undefined;
  }
};

function entryFor(u: URL, source: string): AllowEntry {
  return parseAllowEntry(`${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || (u.protocol === 'http:' ? 80 : 443)}`, source);
}

async function npmRegistries(env: NodeJS.ProcessEnv, t: number, ca: string[]): Promise<Registry[] | string> {
  const out = await run('npm', ['config', 'list', '--json'], env, t);
  if (!out) return 'npm: `npm config list --json` did not answer (npm not installed?)';
  const cfg = JSON.parse(out) as Record<string, unknown>;
  if (typeof cfg.cafile === 'string') ca.push(cfg.cafile);
  return Object.entries(cfg)
    .filter(([k, v]) => (k === 'registry' || /^@[^:]+:registry$/.test(k)) && typeof v === 'string' && httpUrl(v))
    .map(([k, v]) => ({ ecosystem: 'npm' as const, url: v as string, source: `npm config (${k})` }));
}

async function pipRegistries(env: NodeJS.ProcessEnv, t: number, ca: string[]): Promise<Registry[] | string> {
  const found: Registry[] = [];
  const add = (url: string, source: string) => url.split(/\s+/).filter((u) => httpUrl(u)).forEach((u) => found.push({ ecosystem: 'pip', url: u, source }));
  if (env.PIP_INDEX_URL) add(env.PIP_INDEX_URL, 'PIP_INDEX_URL');
  if (env.PIP_EXTRA_INDEX_URL) add(env.PIP_EXTRA_INDEX_URL, 'PIP_EXTRA_INDEX_URL');
  const listed = await run('python3', ['-m', 'pip', 'config', 'list'], env, t);
  for (const line of (listed ?? '').split('\n')) {
    // e.g. global.index-url='https://…'  (the files pip reads: /etc/pip.conf, ~/.config/pip/pip.conf, …)
    const m = /^([\w:.-]*)\.(index-url|extra-index-url|cert)='(.*)'$/.exec(line.trim());
    if (m?.[2] === 'cert') ca.push(m[3] as string);
    else if (m && !m[1]?.startsWith(':env:')) add(m[3] as string, `pip config (${m[1]}.${m[2]})`);
  }
  if (!found.some((r) => r.source !== 'PIP_EXTRA_INDEX_URL' && !r.source.includes('extra-index-url'))) {
    // No index configured: pip's own default, asked from pip rather than written here.
    const def = await run('python3', ['-c', 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)'], env, t);
    if (def?.trim()) add(def.trim(), "pip's default index");
    else if (listed === undefined) return 'pip: `python3 -m pip` did not answer (pip not installed?)';
  }
  return found;
}

async function goRegistries(env: NodeJS.ProcessEnv, t: number): Promise<Registry[] | string> {
  const out = await run('go', ['env', '-json', 'GOPROXY', 'GOSUMDB'], env, t);
  if (!out) return 'go: `go env` did not answer (Go not installed?)';
  const cfg = JSON.parse(out) as { GOPROXY?: string; GOSUMDB?: string };
  const found: Registry[] = [];
  for (const p of (cfg.GOPROXY ?? '').split(/[,|]/)) if (httpUrl(p)) found.push({ ecosystem: 'go', url: p.trim(), source: 'go env GOPROXY' });
  // GOSUMDB: "off", "<name>", "<name>+<key>" or "<name>+<key> <url>": the checksum database's host.
  const sum = (cfg.GOSUMDB ?? '').trim();
  if (sum && sum !== 'off') {
    const [name, url] = sum.split(/\s+/);
    const u = url ?? `https://${(name ?? '').split('+')[0]}`;
    if (httpUrl(u)) found.push({ ecosystem: 'go', url: u, source: 'go env GOSUMDB' });
  }
  return found;
}

function cargoRegistries(env: NodeJS.ProcessEnv): Registry[] | string {
  const home = env.CARGO_HOME || join(env.HOME || homedir(), '.cargo');
  const found: Registry[] = [];
  for (const f of ['config.toml', 'config'].map((n) => join(home, n))) {
    if (!existsSync(f)) continue;
    // `index = "…"` of [registries.*], `registry = "…"` of [source.*] (replace-with targets).
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(index|registry)\s*=\s*["']([^"']+)["']/gm)) {
      if (httpUrl(m[2] as string)) found.push({ ecosystem: 'cargo', url: m[2] as string, source: `${f} (${m[1]})` });
    }
  }
  for (const [k, v] of Object.entries(env)) {
    if (/^CARGO_REGISTRIES_\w+_INDEX$/.test(k) && v && httpUrl(v)) found.push({ ecosystem: 'cargo', url: v, source: k });
  }
  return found.length ? found : `cargo: no registry in ${home}/config.toml or CARGO_REGISTRIES_*_INDEX (cargo's built-in default is not readable from configuration: add its hosts to the repository's egress.allow)`;
}

/** Hosts an index serves its files from, as the index itself tells (PEP 691 JSON, sparse cargo config.json). */
async function fileHosts(r: Registry, t: number): Promise<AllowEntry[]> {
  const out: AllowEntry[] = [];
  if (r.ecosystem === 'pip') {
    // Any project page lists file URLs; pip itself is on every index that can install anything.
    const base = r.url.endsWith('/') ? r.url : `${r.url}/`;
    const text = await getText(`${base}pip/`, 'application/vnd.pypi.simple.v1+json', t);
    const urls = text?.trim().startsWith('{') ? ((JSON.parse(text) as { files?: Array<{ url?: string }> }).files ?? []).map((f) => f.url ?? '') : [...(text ?? '').matchAll(/href="([^"]+)"/g)].map((m) => m[1] as string);
    for (const u of urls.slice(0, 50)) {
      const p = httpUrl(new URL(u, base).href);
      if (p) out.push(entryFor(p, `${r.source}: files of ${new URL(base).hostname}`));
    }
  }
  if (r.ecosystem === 'cargo' && r.url.startsWith('sparse+')) {
    const text = await getText(`${r.url.replace(/^sparse\+/, '').replace(/\/?$/, '/')}config.json`, 'application/json', t);
    const dl = text ? (JSON.parse(text) as { dl?: string }).dl : undefined;
    const u = dl ? httpUrl(dl.replace(/\{.*$/, '')) : undefined;
    if (u) out.push(entryFor(u, `${r.source}: downloads (config.json dl)`));
  }
  return out;
}

/** Reads the machine's registries (each probe time-bounded; a missing package manager is a note). */
export async function detectRegistries(o: DetectOptions = {}): Promise<DetectedRegistries> {
  const env = o.env ?? process.env;
  const t = o.timeoutMs ?? 8000;
  const notes: string[] = [];
  const ca: string[] = ['SSL_CERT_FILE', 'NODE_EXTRA_CA_CERTS', 'PIP_CERT', 'REQUESTS_CA_BUNDLE'].map((k) => env[k] ?? '').filter(Boolean);
  const results = await Promise.all([npmRegistries(env, t, ca), pipRegistries(env, t, ca), goRegistries(env, t), Promise.resolve(cargoRegistries(env))].map((p) => p.catch((e: unknown) => `${String(e)}`)));
  const registries: Registry[] = [];
  for (const r of results) {
    if (typeof r === 'string') notes.push(r);
    else registries.push(...r);
  }
  const entries: AllowEntry[] = [];
  for (const r of registries) {
    const u = httpUrl(r.url);
    if (u) entries.push(entryFor(u, r.source));
  }
  if (o.discoverFileHosts !== false) {
    for (const more of await Promise.all(registries.map((r) => fileHosts(r, t).catch(() => [])))) entries.push(...more);
  }
  const seen = new Set<string>();
  const unique = entries.filter((e) => !seen.has(`${e.host}:${e.port}`) && seen.add(`${e.host}:${e.port}`));
  const first = (e: Ecosystem) => registries.find((r) => r.ecosystem === e && !/extra-index|@/.test(r.source) && r.source !== 'go env GOSUMDB');
  const sandboxEnv: Record<string, string> = {};
  const npm = first('npm');
  if (npm) sandboxEnv.npm_config_registry = npm.url;
  const pip = first('pip');
  if (pip) sandboxEnv.PIP_INDEX_URL = pip.url;
  const extra = registries.filter((r) => r.ecosystem === 'pip' && r !== pip).map((r) => r.url);
  if (extra.length) sandboxEnv.PIP_EXTRA_INDEX_URL = extra.join(' ');
  const goproxy = registries.filter((r) => r.source === 'go env GOPROXY').map((r) => r.url);
  if (goproxy.length) sandboxEnv.GOPROXY = goproxy.join(',');
  const caFiles = [...new Set(ca)].filter((f) => {
    try {
      return readFileSync(f, 'utf8').includes('-----BEGIN CERTIFICATE-----');
    } catch {
      notes.push(`CA bundle ${f} (configured for a package manager) is not readable`);
      return false;
    }
  });
  return { registries, entries: unique, env: sandboxEnv, caFiles, notes };
}
