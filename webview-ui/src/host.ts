/**
 * The webview's host adapter: in VS Code, `acquireVsCodeApi()`. Everything host-specific is behind
 * `Host`, so a phone page (not built yet) could run the same UI with a WebSocket adapter of its own.
 */
import type { HostToWebview, WebviewToHost } from './messages';
import { isHostToWebview } from './messages';
import type { PersistedState } from './uiState';

export interface Host {
  post(msg: WebviewToHost): void;
  onMessage(l: (msg: HostToWebview) => void): void;
  getState(): PersistedState | undefined;
  setState(s: PersistedState): void;
}

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export function vscodeHost(): Host {
  const api = acquireVsCodeApi();
  return {
    post: (msg) => api.postMessage(msg),
    onMessage: (l) =>
      window.addEventListener('message', (ev: MessageEvent<unknown>) => {
        if (isHostToWebview(ev.data)) l(ev.data);
        else console.warn('pushpals: ignored a malformed message from the host');
      }),
    getState: () => {
      const s = api.getState() as Partial<PersistedState> | undefined;
      if (!s || typeof s !== 'object') return undefined;
      return { draft: typeof s.draft === 'string' ? s.draft : '', expanded: Array.isArray(s.expanded) ? s.expanded.filter((x): x is string => typeof x === 'string') : [], limit: typeof s.limit === 'number' ? s.limit : 0 };
    },
    setState: (s) => api.setState(s),
  };
}
