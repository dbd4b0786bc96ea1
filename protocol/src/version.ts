/**
 * Protocol version: "MAJOR.MINOR". Peers with the same MAJOR interoperate (a MINOR bump only adds
 * optional fields or new message types); a different MAJOR is refused with `unsupported_version`.
 */
export const PROTOCOL_VERSION = '1.3';

export interface ParsedVersion {
  major: number;
  minor: number;
}

export function parseProtocolVersion(v: string): ParsedVersion | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** True when a peer speaking `theirs` can talk to us (same major version). */
export function isCompatibleVersion(theirs: string, ours: string = PROTOCOL_VERSION): boolean {
  const a = parseProtocolVersion(theirs);
  const b = parseProtocolVersion(ours);
  return a !== undefined && b !== undefined && a.major === b.major;
}

/** True when a peer speaking `theirs` knows what `since` added (same major, minor at least `since`'s). */
export function isAtLeastVersion(theirs: string, since: string): boolean {
  const a = parseProtocolVersion(theirs);
  const b = parseProtocolVersion(since);
  return a !== undefined && b !== undefined && a.major === b.major && a.minor >= b.minor;
}
