/**
 * WebSocket close codes the server uses, with what a client should do about each. Application codes
 * are 4000 + the closest HTTP status (4008 ~ 408, 4426 ~ 426), so a log line reads at a glance.
 * Plain data: no TypeBox, so the light client entry can export it.
 */
export const CloseCode = {
  /** The server is shutting down: reconnect (with backoff) and resubscribe from the last seq. */
  goingAway: 1001,
  /** A frame above the server's `maxMessageBytes`: the client sent something too large. */
  messageTooBig: 1009,
  /** The client did not read its socket fast enough (no progress, or too much unsent data): reconnect and replay from the last seq. */
  tooSlow: 4008,
  /** The client speaks another protocol MAJOR (sent after the `unsupported_version` command_error): do not reconnect, update the older side. */
  unsupportedVersion: 4426,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** One line per close code, for the README reference (generated). */
export const CloseCodeDocs: Record<keyof typeof CloseCode, string> = {
  goingAway: 'the server is shutting down: reconnect with backoff and resubscribe from the last `seq`',
  messageTooBig: 'a frame exceeded the server\'s `maxMessageBytes`',
  tooSlow: 'the client did not read its socket: the unsent data made no progress for `sendStallTimeoutMs`, or passed `maxBufferedBytes`; reconnect and replay from the last `seq`',
  unsupportedVersion: 'sent right after the `unsupported_version` `command_error`: another protocol MAJOR; do not reconnect, update the older side',
};
