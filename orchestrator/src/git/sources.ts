/** What a repository source string names, decided the way git decides it. */

/** `scheme://...`: a URL (only http(s) is cloned; ssh:// and others are refused with a reason). */
const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * 'url' for `scheme://...`; 'ssh' for git's scp-like syntax (`git@github.com:o/r.git`, `host:path`:
 * a colon before the first slash, which git reads as an ssh remote); 'path' otherwise.
 */
export function sourceKind(source: string): 'url' | 'ssh' | 'path' {
  const s = source.trim();
  if (URL_RE.test(s)) return /^ssh:\/\//i.test(s) || /^git\+ssh:\/\//i.test(s) || /^ssh\+git:\/\//i.test(s) ? 'ssh' : 'url';
  const colon = s.indexOf(':');
  const slash = s.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) return 'ssh';
  return 'path';
}

export const SSH_UNSUPPORTED =
  'SSH remotes are not supported: cloning over ssh would run ssh (and core.sshCommand) on the orchestrator host. Use the https URL of the repository (e.g. https://github.com/owner/repo.git) or a local path';

/** A URL with its user info (`https://user:password@host/...`) replaced by `***`, for storage, messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1***@');
}

/** The user info of a URL (`user:password`), or undefined. */
export function userInfoOf(url: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\/([^/?#\s]*)@/i.exec(url)?.[1];
}
