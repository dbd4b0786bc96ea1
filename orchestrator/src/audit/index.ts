/** Audit trail: see README.md. */
export { AuditLog, GENESIS_HASH, canonicalJson, rowHash, type AuditEntryInput, type AuditEntryView, type AuditHead, type AuditLogOptions, type AuditRecord, type VerifyResult } from './audit-log';
export { REDACTED, redactSecrets, truncateOutput } from './redact';
