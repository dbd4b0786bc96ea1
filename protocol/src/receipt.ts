/**
 * A task's receipt: what was proposed, which checks ran on which tree with what outcome, who approved,
 * what was committed — each item naming the audit row it comes from (seq + hash) — cut at an audit
 * head and signed with the orchestrator's Ed25519 audit key. `pushpals audit verify-receipt` checks
 * it against the audit chain; `receipt_get` returns it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Id, IsoTime, StringEnum, Text } from './common';

const O = Type.Object;
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;
const Sha = Type.String({ pattern: '^[0-9a-f]{40}$' });
const Hash64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const HashRef = Type.String({ pattern: '^sha256:[0-9a-f]{64}$' });

export const RECEIPT_FORMAT = 'pushpals-receipt/1';

/** An audit row: its seq and its chained hash. */
export const ReceiptRow = O({ seq: Type.Integer({ minimum: 1 }), hash: Hash64 }, closed);

const ReceiptCounts = O({ passed: Type.Integer({ minimum: 0 }), failed: Type.Integer({ minimum: 0 }), skipped: Type.Integer({ minimum: 0 }) }, closed);

export const ReceiptCheck = O(
  {
    name: Text(128),
    command: Text(4096),
    status: StringEnum(['passed', 'failed', 'error']),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    counts: Type.Union([ReceiptCounts, Type.Null()]),
    outputHash: Nullable(HashRef),
    phase: Nullable(StringEnum(['base', 'ticket', 'combined', 'commit'])),
    commit: Nullable(Sha),
    treeId: Nullable(Sha),
    /** The `check_run` audit row it was read from. */
    row: ReceiptRow,
    /** The check was reused, not run for this task (a base's checks): `row` is the task's that ran it, named here. */
    reusedFrom: Type.Optional(O({ taskId: Id, at: IsoTime }, closed)),
  },
  closed,
);

export const ReceiptApproval = O(
  {
    approvalId: Id,
    kind: Text(64),
    state: StringEnum(['approved', 'denied', 'expired']),
    decidedBy: Text(128),
    /** The audit row of the decision: `approval_decided` (a person, an expiry) or `approval_granted` (an auto-commit grant). */
    row: ReceiptRow,
  },
  closed,
);

export const Receipt = O(
  {
    format: Type.Literal(RECEIPT_FORMAT),
    taskId: Id,
    repoId: Nullable(Id),
    /** The commit the proposed diff applies to. */
    baseCommit: Nullable(Sha),
    /** The tree the proposed diff's checks ran on (its evidence), when it carried evidence. */
    treeId: Nullable(Sha),
    /** The task's latest proposed diff: its `diff_proposed` row and "sha256:<hex>" of the diff. */
    diff: O({ hash: HashRef, files: Type.Integer({ minimum: 0 }), hunks: Type.Integer({ minimum: 0 }), row: ReceiptRow }, closed),
    checks: Type.Array(ReceiptCheck, { maxItems: 1000 }),
    approvals: Type.Array(ReceiptApproval, { maxItems: 1000 }),
    /** The commit of the accepted hunks, when there is one (its `commit` row). */
    commit: Type.Union([O({ sha: Sha, branch: Text(256), row: ReceiptRow }, closed), Type.Null()]),
    /** The audit head the receipt was cut at: every row above is at or before it. */
    auditHead: ReceiptRow,
    issuedAt: IsoTime,
    /** The signing key: `ed25519:<16 hex>` and the raw public key (base64url). Trust comes from the key the orchestrator holds. */
    key: O({ keyId: Text(64), publicKey: Text(64) }, closed),
    /** Ed25519 over the canonical JSON (keys sorted, no spaces) of every other field, base64url. */
    sig: Text(128),
  },
  closed,
);

export type Receipt = Static<typeof Receipt>;
export type ReceiptCheck = Static<typeof ReceiptCheck>;
export type ReceiptApproval = Static<typeof ReceiptApproval>;
export type ReceiptRow = Static<typeof ReceiptRow>;
