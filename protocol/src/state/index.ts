/** Client state reduced from protocol events: one reducer for every surface (types, reducer, selectors). */
export type * from './types';
export * from './reduce';
export * from './drafts';
export * from './selectors';
export * from './evidence';
