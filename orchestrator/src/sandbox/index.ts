/** Sandbox driver: hardened per-task Docker containers, a long-lived in-container command runner, a warm pool. */
export { SandboxManager, type SlotPreparer, sandboxContainerSpec, DEFAULT_LIMITS, LABEL_MANAGED, LABEL_INSTANCE, LABEL_SANDBOX, LABEL_POOL } from './manager';
export type { ContainerSpecInput } from './manager';
export { Sandbox, DEFAULT_TIMEOUT_MS, DEFAULT_MAX_OUTPUT_BYTES, MAX_TIMEOUT_MS, SANDBOX_ENV } from './sandbox';
export { buildOpenHandsImage, buildWorkerImage, checkEngine, checkImage, explainDockerError, imageRecipeLabel, registryReachable, DEFAULT_IMAGE } from './image';
export { availableVariants, imageRecipe, variantImageName, LABEL_RECIPE, LABEL_VARIANTS } from './image-recipe';
export type { ImageRecipe } from './image-recipe';
export type { BuildImageOptions, BuildImageResult } from './image';
export { assertMountable, assertSharedObjectsMount } from './paths';
export { WorkspaceVolumes, spaceOf } from './volumes';
export type { WorkspaceVolumesOptions } from './volumes';
export { diagnoseDiskFull, formatBytes, isNearlyFull } from './disk-full';
export type { AcquireOptions, DiskFull, ExtraMount, ExecOptions, ExecResult, OutputStream, PoolVolumes, SandboxLimits, SandboxManagerOptions, SharedObjectsMount, SpaceInfo } from './types';
