/** Repositories and per-task workspaces (host-side git without running repo-controlled code): see README.md. */
export { RepoRegistry, type Repo, type RepoRegistryOptions, type Workspace } from './repo-registry';
