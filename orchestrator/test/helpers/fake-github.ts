/**
 * The few GitHub REST endpoints PushPals' pull requests use, over real HTTP (node:http on 127.0.0.1:0),
 * holding its pull requests in memory and recording every request as octokit sent it:
 * `GET /repos/{o}/{r}/pulls?head=o:branch&state=…`, `POST /repos/{o}/{r}/pulls` (422 "A pull request
 * already exists" for a second open one of the same head and base, like GitHub), `PATCH
 * /repos/{o}/{r}/pulls/{n}`. Only the token given is accepted (401 "Bad credentials" otherwise), only the
 * repository given exists (404 otherwise). `failNext` makes the next request answer what a test needs.
 * Used by the unit tests, test/integration and the VS Code e2e (through dist/).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The path and query as sent. */
  url: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakePull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
}

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  /** The only token accepted (`Authorization: token …`). */
  token: string;
  /** The first pull request's number (default 1). */
  firstNumber?: number;
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly pulls: FakePull[] = [];
  private next: number;
  private failures: Array<{ status: number | 'drop'; body: unknown; method?: string | undefined }> = [];

  private constructor(private readonly server: Server, readonly url: string, private readonly o: FakeGitHubOptions) {
    this.next = o.firstNumber ?? 1;
  }

  static async start(o: FakeGitHubOptions): Promise<FakeGitHub> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const self = new FakeGitHub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, o);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => self.handle(req, res));
    return self;
  }

  htmlUrl(n: number): string {
    return `https://github.example.test/${this.o.owner}/${this.o.repo}/pull/${n}`;
  }

  /** The next request (of `method`, if given) gets this answer instead (`'drop'`: the connection is closed without one). */
  failNext(status: number | 'drop', body: unknown = {}, method?: string): void {
    this.failures.push({ status, body, method });
  }

  /** Someone closed (or merged) a pull request on the forge. */
  closePull(n: number, merged = false): void {
    const pr = this.pulls.find((p) => p.number === n);
    if (!pr) throw new Error(`no pull request #${n}`);
    pr.state = 'closed';
    pr.merged = merged;
  }

  /** A pull request someone opened on the forge itself. */
  add(pr: Omit<FakePull, 'number' | 'state' | 'merged'>): FakePull {
    const p: FakePull = { ...pr, number: this.next++, state: 'open', merged: false };
    this.pulls.push(p);
    return p;
  }

  close(): Promise<void> {
    return new Promise<void>((r) => this.server.close(() => r()));
  }

  private json(p: FakePull): Record<string, unknown> {
    const { owner, repo } = this.o;
    return {
      id: 1000 + p.number,
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      html_url: this.htmlUrl(p.number),
      url: `${this.url}/repos/${owner}/${repo}/pulls/${p.number}`,
      head: { ref: p.head, label: `${owner}:${p.head}` },
      base: { ref: p.base, label: `${owner}:${p.base}` },
      user: { login: 'pushpals-bot' },
      draft: false,
      merged: p.merged,
      merged_at: p.merged ? '2026-11-30T12:00:00Z' : null,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', this.url);
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body });
      const send = (status: number, data: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(data));
      };
      const i = this.failures.findIndex((f) => !f.method || f.method === req.method);
      const failure = i >= 0 ? this.failures.splice(i, 1)[0] : undefined;
      if (failure?.status === 'drop') return void req.socket.destroy();
      if (failure) return send(failure.status, failure.body);
      if (req.headers.authorization !== `token ${this.o.token}`) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      const prefix = `/repos/${this.o.owner}/${this.o.repo}/pulls`;
      const notFound = (): void => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      if (u.pathname === prefix && req.method === 'GET') {
        const state = u.searchParams.get('state') ?? 'open';
        const head = u.searchParams.get('head');
        const found = this.pulls.filter((p) => (!head || `${this.o.owner}:${p.head}` === head) && (state === 'all' || p.state === state));
        return send(200, [...found].reverse().map((p) => this.json(p)));
      }
      if (u.pathname === prefix && req.method === 'POST') {
        const [head, base] = [String(body.head), String(body.base)];
        if (this.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
          return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.o.owner}:${head}.` }], documentation_url: 'https://docs.github.com/rest' });
        }
        const p = this.add({ head, base, title: String(body.title), body: String(body.body ?? '') });
        return send(201, this.json(p));
      }
      const m = new RegExp(`^${prefix}/(\\d+)$`).exec(u.pathname);
      if (m && req.method === 'PATCH') {
        const p = this.pulls.find((x) => x.number === Number(m[1]));
        if (!p) return notFound();
        if (typeof body.title === 'string') p.title = body.title;
        if (typeof body.body === 'string') p.body = body.body;
        if (typeof body.base === 'string') p.base = body.base;
        return send(200, this.json(p));
      }
      notFound();
    });
  }
}
