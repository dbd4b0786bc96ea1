/** Audit trail: see README.md. */
export { AuditLog, GENESIS_HASH, canonicalJson, rowHash, type AuditEntryInput, type AuditEntryView, type AuditHead, type AuditLogOptions, type AuditRecord, type VerifyResult } from './audit-log';
export { REDACTED, redactSecrets, truncateOutput } from './redact';
export { HEAD_FORMAT, PUBLIC_KEY_FILE, SIGNING_KEY_FILE, loadOrCreateSigner, loadTrustedPublicKey, parseExpectedHead, verifySignedHead, type HeadSigner, type SignedHead } from './head-signing';
export { AUDIT_HEAD_FILE, AuditHeadPublisher, auditHeadPath, type AuditHeadStatus } from './head-publisher';
export { buildReceipt, receiptContent, receiptSignedBytes, sha256Ref, type ReceiptBody } from './receipt';
export { verifyReceipt, type ReceiptVerdict } from './receipt-verify';
