export * from './version';
export * from './close-codes';
export * from './common';
export * from './events';
export * from './commands';
export * from './messages';
export * from './validate';
export * from './build';
