/** Repositories and per-task workspaces (host-side git without running repo-controlled code): see README.md. */
export { RepoRegistry, type LiveBase, type Repo, type RepoChoice, type RepoRegistryOptions, type Workspace, type WorkspaceBase } from './repo-registry';
export type { OverlayResult } from './overlay';
export { SANDBOX_CHECKOUT_COMMAND, SHARED_OBJECTS_DIR, objectsContainerPath, sharedObjectsFs } from './working-copy';
export { NETWORK_GIT_ENV, neutralizeRepoConfig } from './network-git';
