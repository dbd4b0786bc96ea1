/**
 * The options of the git subcommands the policy allows, per subcommand (git 2.39). An option not
 * listed makes the verdict `ask`. Left out on purpose (they run programs, open editors, sign with
 * gpg or write files): `grep -O/--open-files-in-pager`, `--ext-diff`, `--textconv`,
 * `--show-signature`, `-S/--gpg-sign`, `-e/--edit`, `-i/-p` (interactive), `--template`,
 * `apply --unsafe-paths/--build-fake-ancestor`, `cat-file --filters`. Long options must be spelt
 * out in full (git accepts unambiguous abbreviations such as `--open-files`); every listed long
 * option also has its `--no-` form.
 */
import type { OptionSpec } from '../options';

const DIFF = {
  flags: 'pusbwRaWDzrtcmh',
  valued: 'SGOI',
  optional: 'UBMCl',
  long: `patch no-patch raw patch-with-raw patch-with-stat indent-heuristic minimal patience histogram stat numstat shortstat summary
    name-only name-status full-index binary find-copies-harder irreversible-delete pickaxe-all pickaxe-regex text ignore-cr-at-eol
    ignore-space-at-eol ignore-space-change ignore-all-space ignore-blank-lines function-context exit-code quiet no-ext-diff
    no-textconv no-prefix default-prefix ita-invisible-in-index ita-visible-in-index cached staged merge-base no-index cumulative
    compact-summary no-color no-renames rename-empty check follow full-diff combined-all-paths cc dd`,
  longValued: `word-diff-regex color-moved-ws ignore-matching-lines inter-hunk-context src-prefix dst-prefix line-prefix output
    output-indicator-new output-indicator-old output-indicator-context diff-algorithm anchored stat-width stat-name-width
    stat-graph-width stat-count find-object orderfile skip-to rotate-to ws-error-highlight diff-merges`,
  longOptional: 'color color-moved word-diff color-words abbrev break-rewrites find-renames find-copies ignore-submodules relative dirstat dirstat-by-file unified submodule diff-filter',
};
const LOG = {
  flags: 'iEFPg',
  long: `all-match invert-grep regexp-ignore-case basic-regexp extended-regexp fixed-strings perl-regexp remove-empty merges no-merges
    first-parent exclude-first-parent-only not all reflog alternate-refs single-worktree ignore-missing bisect stdin cherry-mark
    cherry-pick left-only right-only cherry walk-reflogs merge boundary simplify-by-decoration show-pulls full-history dense sparse
    simplify-merges date-order author-date-order topo-order reverse do-walk abbrev-commit oneline no-expand-tabs standard-notes
    relative-date parents children left-right graph source use-mailmap mailmap log-size clear-decorations count timestamp
    since-as-filter objects objects-edge no-walk in-commit-order`,
  longValued: `max-count skip since after until before author committer grep grep-reflog min-parents max-parents glob exclude
    exclude-hidden format encoding date decorate-refs decorate-refs-exclude max-age min-age`,
  longOptional: 'branches tags remotes ancestry-path pretty expand-tabs notes show-notes show-linear-break decorate no-walk',
};

/** Joins option groups (flags and word lists concatenate). */
function join(...specs: OptionSpec[]): OptionSpec {
  const cat = (k: keyof OptionSpec, sep: string): string => specs.map((s) => (s[k] as string | undefined) ?? '').filter(Boolean).join(sep);
  return { flags: cat('flags', ''), valued: cat('valued', ''), optional: cat('optional', ''), long: cat('long', ' '), longValued: cat('longValued', ' '), longOptional: cat('longOptional', ' '), numeric: specs.some((s) => s.numeric), negatable: true };
}

const LOG_DIFF = join(LOG, DIFF, { numeric: true, valued: 'nL' });
const PATHSPEC = { long: 'pathspec-file-nul', longValued: 'pathspec-from-file' };
const LISTING = { flags: 'alrv', long: 'list show-current all remotes verbose ignore-case omit-empty column no-column', longValued: 'sort format points-at', longOptional: 'contains no-contains merged no-merged color abbrev' };

/** Subcommands that only print, whose every option was reviewed as harmless. */
export const GIT_ANY_OPTION = new Set(['rev-parse']);

export const GIT_SUBCOMMAND_OPTIONS: Record<string, OptionSpec> = {
  status: join({ flags: 'sbvz', optional: 'u', long: 'short branch show-stash long verbose ahead-behind renames', longOptional: 'porcelain untracked-files ignore-submodules ignored column find-renames' }),
  diff: join(DIFF),
  'diff-tree': join(DIFF, { flags: 'v', long: 'root merge-base stdin no-commit-id always' }),
  'diff-index': join(DIFF),
  'diff-files': join(DIFF, { flags: '0123q' }),
  log: LOG_DIFF,
  show: LOG_DIFF,
  whatchanged: LOG_DIFF,
  'rev-list': join(LOG, { numeric: true, valued: 'n', long: 'header quiet disk-usage objects-edge-aggressive unpacked missing indexed-objects' }),
  shortlog: join(LOG, { flags: 'nsec', optional: 'w', long: 'numbered summary email committer', longValued: 'group' }),
  grep: join({ flags: 'iIvwahHnlLcoqzEGFPWr', valued: 'efABCm', numeric: true, long: 'cached untracked no-index exclude-standard recurse-submodules text ignore-case word-regexp invert-match full-name extended-regexp basic-regexp perl-regexp fixed-strings line-number column files-with-matches name-only files-without-match null count break heading show-function function-context and or not all-match quiet only-matching recursive', longValued: 'max-depth context after-context before-context threads max-count', longOptional: 'color' }),
  blame: join({ flags: 'bltfnsewpc', valued: 'LS', optional: 'MC', long: 'root show-stats score-debug show-name show-number porcelain line-porcelain incremental show-email progress minimal reverse first-parent color-lines color-by-age', longValued: 'encoding contents date ignore-rev ignore-revs-file', longOptional: 'abbrev' }),
  'ls-files': join({ flags: 'cdmoiskutvfz', valued: 'xX', long: 'cached deleted modified others ignored stage unmerged killed directory empty-directory exclude-standard error-unmatch full-name recurse-submodules debug eol deduplicate sparse resolve-undo', longValued: 'exclude exclude-from exclude-per-directory with-tree format', longOptional: 'abbrev' }),
  'ls-tree': join({ flags: 'drtlz', long: 'long name-only name-status object-only full-name full-tree', longValued: 'format', longOptional: 'abbrev' }),
  'cat-file': join({ flags: 'tsepz', long: 'batch-all-objects buffer follow-symlinks unordered allow-unknown-type mailmap use-mailmap', longValued: 'path', longOptional: 'batch batch-check batch-command' }),
  describe: join({ long: 'all tags contains exact-match debug long always first-parent', longValued: 'candidates match exclude', longOptional: 'abbrev dirty broken' }),
  'show-ref': join({ flags: 'dsq', long: 'head heads tags verify dereference exclude-existing quiet branches', longOptional: 'hash abbrev' }),
  'for-each-ref': join({ flags: 's', long: 'shell perl python tcl ignore-case omit-empty stdin include-root-refs', longValued: 'count format sort points-at exclude', longOptional: 'merged no-merged contains no-contains' }),
  'merge-base': join({ flags: 'a', long: 'all octopus independent is-ancestor fork-point' }),
  'name-rev': join({ long: 'tags all undefined always name-only annotate-stdin', longValued: 'refs exclude' }),
  'count-objects': join({ flags: 'vH', long: 'verbose human-readable' }),
  version: join({ long: 'build-options' }),
  'check-ignore': join({ flags: 'qvnz', long: 'quiet verbose stdin non-matching no-index' }),
  'check-attr': join({ flags: 'az', long: 'all cached stdin', longValued: 'source' }),
  'check-ref-format': join({ long: 'allow-onelevel refspec-pattern normalize branch' }),
  var: join({ flags: 'l' }),
  'show-branch': join({ long: 'all remotes topo-order date-order current sparse more list merge-base independent no-name sha1-name topics', longOptional: 'color reflog' }),
  help: join({ flags: 'agc', long: 'all guides config verbose no-external-commands no-aliases' }),
  // Local writes.
  add: join(PATHSPEC, { flags: 'nvfuAN', long: 'dry-run verbose force update all ignore-removal intent-to-add refresh ignore-errors ignore-missing renormalize sparse', longValued: 'chmod' }),
  rm: join(PATHSPEC, { flags: 'fnrq', long: 'force dry-run cached ignore-unmatch sparse quiet' }),
  mv: join({ flags: 'fknv', long: 'force dry-run verbose sparse' }),
  restore: join(PATHSPEC, { flags: 'WSqm', valued: 's', long: 'worktree staged quiet progress ours theirs merge ignore-unmerged ignore-skip-worktree-bits recurse-submodules overlay', longValued: 'source conflict' }),
  checkout: join(PATHSPEC, { flags: 'qftlm23d', valued: 'bB', long: 'quiet progress force ours theirs no-track guess detach ignore-skip-worktree-bits merge ignore-other-worktrees overwrite-ignore recurse-submodules overlay', longValued: 'orphan conflict', longOptional: 'track' }),
  switch: join({ flags: 'dtmqf', valued: 'cC', long: 'detach guess no-track discard-changes force merge quiet progress ignore-other-worktrees recurse-submodules', longValued: 'create force-create orphan conflict', longOptional: 'track' }),
  reset: join(PATHSPEC, { flags: 'qN', long: 'quiet soft mixed hard merge keep recurse-submodules intent-to-add refresh' }),
  stash: join(LOG, DIFF, PATHSPEC, { flags: 'kuaqS', valued: 'm', long: 'keep-index include-untracked all quiet staged index', longValued: 'message' }),
  clean: join({ flags: 'dfnqxX', valued: 'e', long: 'force dry-run quiet', longValued: 'exclude' }),
  apply: join({ flags: 'Rvq3z', optional: 'pC', long: 'stat numstat summary check index cached intent-to-add 3way apply reverse reject allow-binary-replacement binary ignore-space-change ignore-whitespace inaccurate-eof verbose quiet recount allow-empty', longValued: 'exclude include whitespace directory' }),
  init: join({ flags: 'q', valued: 'b', long: 'quiet bare', longValued: 'object-format initial-branch', longOptional: 'shared' }),
  branch: join(LISTING, { flags: 'dDmMcCfqt', valued: 'u', long: 'delete move copy force no-track unset-upstream quiet create-reflog recurse-submodules', longValued: 'set-upstream-to', longOptional: 'track' }),
  tag: join(LISTING, { flags: 'adfi', valued: 'mF', optional: 'n', long: 'annotate delete force create-reflog', longValued: 'message file cleanup' }),
  worktree: join({ flags: 'fdqvnz', valued: 'bB', long: 'force detach checkout lock orphan track guess-remote quiet porcelain verbose dry-run', longValued: 'reason expire' }),
  gc: join({ flags: 'q', long: 'aggressive auto quiet force keep-largest-pack cruft detach', longOptional: 'prune' }),
  prune: join({ flags: 'nv', long: 'dry-run verbose progress', longValued: 'expire' }),
  reflog: join(LOG, { long: 'expire-unreachable rewrite updateref stale-fix dry-run verbose', longValued: 'expire' }),
  'sparse-checkout': join({ long: 'cone no-cone sparse-index stdin skip-checks rules-file' }),
  'update-index': join({ flags: 'qz', long: 'add remove refresh really-refresh skip-worktree no-skip-worktree assume-unchanged no-assume-unchanged ignore-missing unmerged ignore-submodules stdin verbose info-only force-remove replace index-info', longValued: 'chmod cacheinfo' }),
  // Commits (ask unless auto-commit), merges and pushes.
  commit: join(PATHSPEC, { flags: 'aqvsnioz', valued: 'mFC', optional: 'u', long: 'all quiet verbose signoff no-verify verify amend no-edit allow-empty allow-empty-message reset-author short branch porcelain long null only include dry-run status', longValued: 'message file author date fixup squash reuse-message cleanup trailer', longOptional: 'untracked-files' }),
  merge: join({ flags: 'nqv', valued: 'mFsX', long: 'commit no-edit ff ff-only squash stat summary signoff verify no-verify quiet verbose progress autostash allow-unrelated-histories rerere-autoupdate abort quit continue overwrite-ignore', longValued: 'message file strategy strategy-option cleanup into-name', longOptional: 'log' }),
  rebase: join({ flags: 'rqvnfsX', long: 'keep-base continue skip abort quit show-current-patch apply merge keep-empty reapply-cherry-picks allow-empty-message quiet verbose stat verify no-verify force-rebase fork-point ignore-whitespace committer-date-is-author-date ignore-date signoff root autosquash autostash reschedule-failed-exec update-refs ff', longValued: 'onto empty strategy strategy-option whitespace', longOptional: 'rebase-merges' }),
  'cherry-pick': join({ flags: 'xns', valued: 'mX', long: 'continue skip quit abort no-edit no-commit signoff ff allow-empty allow-empty-message keep-redundant-commits rerere-autoupdate', longValued: 'cleanup mainline strategy strategy-option' }),
  revert: join({ flags: 'ns', valued: 'mX', long: 'continue skip quit abort no-edit no-commit signoff rerere-autoupdate reference', longValued: 'cleanup mainline strategy strategy-option' }),
  push: join({ flags: 'fnqvud46', valued: 'o', long: 'all branches mirror tags follow-tags atomic dry-run porcelain delete prune force force-if-includes set-upstream thin quiet verbose progress verify no-verify ipv4 ipv6', longValued: 'push-option repo recurse-submodules', longOptional: 'force-with-lease' }),
};
