/** Repositories and per-task workspaces (host-side git without running repo-controlled code): see README.md. */
export { RepoRegistry, type LiveBase, type Repo, type RepoChoice, type RepoRegistryOptions, type Workspace } from './repo-registry';
