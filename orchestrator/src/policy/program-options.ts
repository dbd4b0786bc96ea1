/**
 * The complete option lists of the programs the policy allows, so that any option it does not know
 * makes the verdict `ask`. The GNU entries were read from `<tool> --help` in the worker image
 * (coreutils 9.1, grep 3.8, diffutils 3.8, findutils 4.9, tar 1.34, sed 4.9, procps 4.0) and then
 * reviewed: options that run a program, write a file outside the checked operands, or use the
 * network were removed (so they ask) or are checked by the program's rule:
 *   sort --compress-program · install --strip-program · diff3 --diff-program · date -s ·
 *   hostname -F/-b · tar -I/-F/-g/-P, --to-command/--use-compress-program/--checkpoint-action/
 *   --info-script/--new-volume-script/--rsh-command/--rmt-command/--index-file/--volno-file ·
 *   env -S/-C · rg --pre/--pre-glob/--hostname-bin · ag --pager · less -o/-O/-k/+cmd ·
 *   tree -o (checked as a write) · file -C.
 */
import type { OptionSpec } from './options';

const SUMS = { flags: 'bctwz', long: 'binary check help ignore-missing quiet status strict tag text version warn zero' };

/** Read-only tools (no rule of their own beyond the option check). */
export const READER_OPTIONS: Record<string, OptionSpec> = {
  ls: { flags: '1ABCDFGHLNQRSUXZabcdfghiklmnopqrstuvx', valued: 'ITw', long: 'all almost-all author context dereference dereference-command-line dereference-command-line-symlink-to-dir directory dired escape file-type full-time group-directories-first help hide-control-chars human-readable ignore-backups inode kibibytes literal no-group numeric-uid-gid quote-name recursive reverse show-control-chars si size version zero', longValued: 'block-size format hide ignore indicator-style quoting-style sort tabsize time time-style width', longOptional: 'classify color hyperlink' },
  cat: { flags: 'AETbenstuv', long: 'help number number-nonblank show-all show-ends show-nonprinting show-tabs squeeze-blank version' },
  head: { flags: 'qvz', valued: 'cn', numeric: true, long: 'help quiet silent verbose version zero-terminated', longValued: 'bytes lines' },
  tail: { flags: 'Ffqvz', valued: 'cns', numeric: true, long: 'help quiet retry silent verbose version zero-terminated', longValued: 'bytes lines max-unchanged-stats pid sleep-interval', longOptional: 'follow' },
  grep: { flags: 'EFGHILPRTUVZabchilnoqrsvwxyz', valued: 'ABCDdefm', numeric: true, long: 'basic-regexp binary byte-offset count dereference-recursive extended-regexp files-with-matches files-without-match fixed-strings help ignore-case initial-tab invert-match line-buffered line-number line-regexp no-filename no-group-separator no-ignore-case no-messages null null-data only-matching perl-regexp quiet recursive silent text version with-filename word-regexp', longValued: 'after-context before-context binary-files context devices directories exclude exclude-dir exclude-from file group-separator include label max-count regexp', longOptional: 'color colour' },
  wc: { flags: 'Lclmw', long: 'bytes chars help lines max-line-length version words', longValued: 'files0-from' },
  more: { flags: 'Vcdefhlpsu', valued: 'n', numeric: true, long: 'clean-print exit-on-eof help logical no-pause plain print-over silent squeeze version', longValued: 'lines' },
  stat: { flags: 'Lcft', long: 'dereference file-system help terse version', longValued: 'cached format printf' },
  du: { flags: '0DHLPSabchklmsx', valued: 'BXdt', long: 'all apparent-size bytes count-links dereference dereference-args help human-readable inodes no-dereference null one-file-system separate-dirs si summarize time total version', longValued: 'block-size exclude exclude-from files0-from max-depth threshold time time-style' },
  df: { flags: 'HPTahiklv', valued: 'Btx', long: 'all help human-readable inodes local no-sync portability print-type si sync total version', longValued: 'block-size exclude-type type', longOptional: 'output' },
  realpath: { flags: 'LPemqsz', long: 'canonicalize-existing canonicalize-missing help logical no-symlinks physical quiet strip version zero', longValued: 'relative-base relative-to' },
  readlink: { flags: 'efmnqsvz', long: 'canonicalize canonicalize-existing canonicalize-missing help no-newline quiet silent verbose version zero' },
  basename: { flags: 'az', valued: 's', long: 'help multiple version zero', longValued: 'suffix' },
  dirname: { flags: 'z', long: 'help version zero' },
  date: { flags: 'Ru', valued: 'dfr', optional: 'I', long: 'debug help resolution rfc-email universal utc version', longValued: 'date file reference rfc-3339', longOptional: 'iso-8601' },
  whoami: { long: 'help version' },
  id: { flags: 'GZagnruz', long: 'context group groups help name real user version zero' },
  uname: { flags: 'aimnoprsv', long: 'all hardware-platform help kernel-name kernel-release kernel-version machine nodename operating-system processor version' },
  hostname: { flags: 'AIadfisy', long: 'alias all-fqdns all-ip-addresses domain fqdn ip-address long nis short yp' },
  seq: { flags: 'w', valued: 'fs', long: 'equal-width help version', longValued: 'format separator' },
  cut: { flags: 'Mnsz', valued: 'bcdf', long: 'complement help only-delimited version zero-terminated', longValued: 'bytes characters delimiter fields output-delimiter' },
  tr: { flags: 'Ccdst', long: 'complement delete help squeeze-repeats truncate-set1 version' },
  paste: { flags: 'sz', valued: 'd', long: 'help serial version zero-terminated', longValued: 'delimiters' },
  join: { flags: 'iz', valued: '12aejotv', long: 'check-order header help ignore-case nocheck-order version zero-terminated' },
  comm: { flags: '123z', long: 'check-order help nocheck-order total version zero-terminated', longValued: 'output-delimiter' },
  diff: { flags: 'BENTZabcdeilnpqrstuvwy', valued: 'CDFISUWXx', long: 'brief ed expand-tabs help ignore-all-space ignore-blank-lines ignore-case ignore-file-name-case ignore-space-change ignore-tab-expansion ignore-trailing-space initial-tab left-column minimal new-file no-dereference no-ignore-file-name-case normal paginate rcs recursive report-identical-files show-c-function side-by-side speed-large-files strip-trailing-cr suppress-blank-empty suppress-common-lines text unidirectional-new-file version', longValued: 'changed-group-format new-group-format old-group-format unchanged-group-format new-line-format old-line-format unchanged-line-format exclude exclude-from from-file horizon-lines ifdef ignore-matching-lines label line-format palette show-function-line starting-file tabsize to-file width', longOptional: 'color context unified' },
  diff3: { flags: '3AETXaeimvx', valued: 'L', long: 'easy-only ed help initial-tab merge overlap-only show-all show-overlap strip-trailing-cr text version', longValued: 'label' },
  cmp: { flags: 'blsv', valued: 'in', long: 'help print-bytes quiet silent verbose version', longValued: 'bytes ignore-initial' },
  od: { flags: 'abcdfilosvx', valued: 'ANSjt', optional: 'w', long: 'help output-duplicates traditional version', longValued: 'address-radix endian format read-bytes skip-bytes', longOptional: 'strings width' },
  md5sum: SUMS,
  sha1sum: SUMS,
  sha224sum: SUMS,
  sha256sum: SUMS,
  sha384sum: SUMS,
  sha512sum: SUMS,
  b2sum: { ...SUMS, valued: 'l', longValued: 'length' },
  cksum: { flags: 'cwz', valued: 'al', long: 'check debug help ignore-missing quiet status strict tag untagged version warn zero base64 raw', longValued: 'algorithm length' },
  base64: { flags: 'di', valued: 'w', long: 'decode help ignore-garbage version', longValued: 'wrap' },
  base32: { flags: 'di', valued: 'w', long: 'decode help ignore-garbage version', longValued: 'wrap' },
  nl: { flags: 'p', valued: 'bdfhilnsvw', long: 'help no-renumber version', longValued: 'body-numbering footer-numbering header-numbering join-blank-lines line-increment number-format number-separator number-width section-delimiter starting-line-number' },
  fold: { flags: 'bs', valued: 'w', long: 'bytes help spaces version', longValued: 'width' },
  fmt: { flags: 'cstu', valued: 'gpw', numeric: true, long: 'crown-margin help split-only tagged-paragraph uniform-spacing version', longValued: 'goal prefix width' },
  tac: { flags: 'br', valued: 's', long: 'before help regex version', longValued: 'separator' },
  rev: { flags: 'Vh0', long: 'help version zero' },
  nproc: { long: 'all help version', longValued: 'ignore' },
  free: { flags: 'Vbghklmtvw', valued: 'cs', long: 'bytes committed gibi giga help human kibi kilo lohi mebi mega pebi peta si tebi tera total version wide', longValued: 'count seconds' },
  uptime: { flags: 'Vhps', long: 'help pretty since version' },
  pgrep: { flags: 'ALVacfhilnovwx', valued: 'FGOPUdgrstu', long: 'count exact full help ignore-ancestors ignore-case inverse lightweight list-full list-name logpidfile newest oldest version', longValued: 'cgroup delimiter euid group ns nslist older parent pgroup pidfile runstates session terminal uid' },
  locale: { flags: 'Vackmv', long: 'all-locales category-name charmaps help keyword-name usage verbose version' },
  tty: { flags: 's', long: 'help quiet silent version' },
  stty: { flags: 'ag', valued: 'F', long: 'all help save version', longValued: 'file' },
  tput: { flags: 'SVx', valued: 'T' },
  numfmt: { flags: 'Mz', valued: 'd', long: 'debug grouping help version zero-terminated', longValued: 'delimiter field format from from-unit invalid padding round suffix to to-unit', longOptional: 'header' },
  which: { flags: 'as' },
  printenv: { flags: '0', long: 'help null version' },
  sleep: { long: 'help version' },
  factor: { flags: 'h', long: 'exponents help version' },
  // Not in the worker image; lists from the tools' manuals.
  rg: { flags: '0HILNPSUVabchijlnopqsuvwxz', valued: 'ABCEMTefgjmrtd', long: 'binary block-buffered byte-offset case-sensitive column count count-matches crlf debug files files-with-matches files-without-match fixed-strings follow heading help hidden ignore-case ignore-file-case-insensitive invert-match json line-buffered line-number line-regexp mmap multiline multiline-dotall no-column no-config no-filename no-heading no-hidden no-ignore no-ignore-dot no-ignore-exclude no-ignore-files no-ignore-global no-ignore-messages no-ignore-parent no-ignore-vcs no-line-number no-messages no-mmap no-pcre2-unicode no-require-git no-unicode null null-data one-file-system only-matching passthru pcre2 pcre2-version pretty quiet search-zip smart-case sort-files stats text trim type-list unrestricted version vimgrep with-filename word-regexp', longValued: 'after-context before-context color colors context context-separator dfa-size-limit encoding engine field-context-separator field-match-separator file glob iglob ignore-file max-columns max-count max-depth max-filesize path-separator regex-size-limit regexp replace sort sortr threads type type-add type-clear type-not' },
  ag: { flags: '0BDHLQSUVZacfilnorstuvwz', valued: 'ABCGGgmp', long: 'ackmate all-text all-types break case-sensitive color column count files-with-matches files-without-matches filename fixed-strings follow group heading help hidden ignore-case invert-match line-numbers list-file-types literal no-break no-color no-filename no-follow no-group no-heading no-numbers nopager null numbers one-device only-matching print-all-files print-long-lines search-binary search-files search-zip silent skip-vcs-ignores smart-case stats unrestricted vimgrep version word-regexp', longValued: 'after before context depth file-search-regex ignore ignore-dir max-count path-to-ignore width' },
  tree: { flags: 'ACDFJNQRSXadfghilnpqrstuvx', valued: 'HILPT', long: 'dirsfirst du filelimit fromfile help inodes matchdirs noreport prune si version', longValued: 'charset sort timefmt' },
  less: { flags: 'ABEFGIJKLMNQRSWXaceimnqrsuwX', valued: 'bhjxyz#', long: 'quit-at-eof QUIT-AT-EOF quit-if-one-screen ignore-case IGNORE-CASE LINE-NUMBERS LONG-PROMPT RAW-CONTROL-CHARS chop-long-lines no-init quiet silent squeeze-blank-lines status-column tilde help version mouse', longValued: 'tabs shift jump-target max-back-scroll window' },
  file: { flags: 'bcdEhiklLNnprsSvz0', valued: 'efFmP', long: 'brief checking-printout debug dereference extension help keep-going list mime mime-type mime-encoding no-buffer no-dereference no-pad no-sandbox preserve-date print0 raw special-files uncompress uncompress-noreport version', longValued: 'exclude exclude-quiet files-from magic-file parameter separator' },
};

/** Tools whose every option was reviewed as harmless (reading, formatting, signals). */
export const ANY_OPTION_AUDITED = ['ps', 'kill', 'getconf', 'lsof', 'cal', 'jq', 'strings', 'hexdump', 'column', 'expr', 'echo', 'true', 'false', ':', 'pwd', 'type', 'times', 'dirs', 'caller', 'fg', 'bg', 'disown', 'umask', 'ulimit', 'shift', 'unalias', 'set'];

/** File writers: their operands and output options are checked by rules/files.ts. */
export const WRITER_OPTIONS: Record<string, OptionSpec> = {
  sort: { flags: 'MRVbdfghimnrsuz', valued: 'CSTckot', long: 'check debug dictionary-order general-numeric-sort help human-numeric-sort ignore-case ignore-leading-blanks ignore-nonprinting merge month-sort numeric-sort random-sort reverse stable unique version version-sort zero-terminated', longValued: 'batch-size buffer-size field-separator files0-from key output parallel random-source sort temporary-directory', longOptional: 'check' },
  uniq: { flags: 'Dcdiuz', valued: 'fsw', numeric: true, long: 'count help ignore-case repeated unique version zero-terminated', longValued: 'check-chars skip-chars skip-fields', longOptional: 'all-repeated group' },
  tee: { flags: 'aip', long: 'append help ignore-interrupts version', longOptional: 'output-error' },
  touch: { flags: 'acfhm', valued: 'drt', long: 'help no-create no-dereference version', longValued: 'date reference time' },
  mkdir: { flags: 'Zpv', valued: 'm', long: 'help parents verbose version', longValued: 'mode', longOptional: 'context' },
  mv: { flags: 'TZbfinuv', valued: 'St', long: 'context force help interactive no-clobber no-target-directory strip-trailing-slashes update verbose version', longValued: 'suffix target-directory', longOptional: 'backup' },
  cp: { flags: 'HLPRTZabdfilnprsuvx', valued: 'St', long: 'archive attributes-only copy-contents dereference force help interactive link no-clobber no-dereference no-target-directory one-file-system parents recursive remove-destination strip-trailing-slashes symbolic-link update verbose version', longValued: 'no-preserve sparse suffix target-directory', longOptional: 'backup context preserve reflink' },
  ln: { flags: 'FLPTbdfinrsv', valued: 'St', long: 'directory force help interactive logical no-dereference no-target-directory physical relative symbolic verbose version', longValued: 'suffix target-directory', longOptional: 'backup' },
  rm: { flags: 'IRdfirv', long: 'dir force help no-preserve-root one-file-system recursive verbose version', longOptional: 'interactive preserve-root' },
  rmdir: { flags: 'pv', long: 'help ignore-fail-on-non-empty parents verbose version' },
  unlink: { long: 'help version' },
  shred: { flags: 'fuvxz', valued: 'ns', long: 'exact force help verbose version zero', longValued: 'iterations random-source size', longOptional: 'remove' },
  install: { flags: 'CDTZbcdpsv', valued: 'Sgmot', long: 'compare directory help no-target-directory preserve-context preserve-timestamps strip verbose version', longValued: 'group mode owner suffix target-directory', longOptional: 'backup context' },
  truncate: { flags: 'co', valued: 'rs', long: 'help io-blocks no-create version', longValued: 'reference size' },
  chmod: { flags: 'Rcfv', long: 'changes help no-preserve-root preserve-root quiet recursive silent verbose version', longValued: 'reference' },
  chown: { flags: 'HLPRcfhv', long: 'changes dereference help no-dereference no-preserve-root preserve-root quiet recursive silent verbose version', longValued: 'from reference' },
  chgrp: { flags: 'HLPRcfhv', long: 'changes dereference help no-dereference no-preserve-root preserve-root quiet recursive silent verbose version', longValued: 'reference' },
  gzip: { flags: '123456789LNVcdfhklnqrtv', valued: 'S', long: 'best decompress fast force help keep license list name no-name quiet recursive rsyncable stdout synchronous test verbose version', longValued: 'suffix' },
  tar: { flags: 'ABGJMORSUWZacdhijklmnoprstuvwxz', valued: 'CHKLNTVXbf', long: 'acls anchored append auto-compress block-number bzip2 catenate check-device check-links clamp-mtime compare compress concatenate confirmation create delay-directory-restore delete dereference diff exclude-backups exclude-caches exclude-caches-all exclude-caches-under exclude-vcs exclude-vcs-ignores extract force-local full-time get gunzip gzip hard-dereference help ignore-case ignore-command-error ignore-failed-read ignore-zeros incremental interactive keep-directory-symlink keep-newer-files keep-old-files list lzip lzma lzop multi-volume no-acls no-anchored no-auto-compress no-check-device no-delay-directory-restore no-ignore-case no-ignore-command-error no-null no-overwrite-dir no-recursion no-same-owner no-same-permissions no-seek no-selinux no-unquote no-verbatim-files-from no-wildcards no-wildcards-match-slash no-xattrs null numeric-owner old-archive one-file-system overwrite overwrite-dir portability posix preserve-order preserve-permissions read-full-records recursion recursive-unlink remove-files restrict same-order same-owner same-permissions seek selinux show-defaults show-omitted-dirs show-snapshot-field-ranges show-stored-names show-transformed-names skip-old-files sparse test-label to-stdout touch uncompress ungzip unlink-first unquote update usage utc verbatim-files-from verbose verify version wildcards wildcards-match-slash xattrs xz zstd', longValued: 'add-file after-date blocking-factor directory exclude exclude-from exclude-ignore exclude-ignore-recursive exclude-tag exclude-tag-all exclude-tag-under file files-from format group group-map hole-detection label level mode mtime newer newer-mtime no-quote-chars owner owner-map pax-option quote-chars quoting-style record-size sort sparse-version starting-file strip-components suffix tape-length transform warning xattrs-exclude xattrs-include xform', longOptional: 'atime-preserve backup checkpoint occurrence one-top-level totals' },
  mktemp: { flags: 'dqtu', valued: 'p', long: 'directory dry-run help quiet version', longValued: 'suffix', longOptional: 'tmpdir' },
  iconv: { flags: 'Vcls', valued: 'fot', long: 'help list silent usage verbose version', longValued: 'from-code output to-code' },
};

/** Wrappers: options end at the command they run (POSIX order). */
export const WRAPPER_OPTIONS: Record<string, OptionSpec> = {
  xargs: { flags: '0oprtx', valued: 'EILPadns', optional: 'eil', posixOrder: true, long: 'exit help interactive no-run-if-empty null open-tty show-limits verbose version', longValued: 'arg-file delimiter max-args max-chars max-lines max-procs process-slot-var', longOptional: 'eof replace' },
  env: { flags: '0iv', valued: 'u', posixOrder: true, long: 'debug help ignore-environment list-signal-handling null version', longValued: 'unset', longOptional: 'block-signal default-signal ignore-signal' },
  timeout: { flags: 'v', valued: 'ks', posixOrder: true, long: 'foreground help preserve-status verbose version', longValued: 'kill-after signal' },
  nice: { valued: 'n', numeric: true, posixOrder: true, long: 'help version', longValued: 'adjustment' },
  ionice: { flags: 'tx', valued: 'cnpPu', posixOrder: true, long: 'help ignore version', longValued: 'class classdata pid pgid uid' },
  stdbuf: { valued: 'eio', posixOrder: true, long: 'help version', longValued: 'error input output' },
  nohup: { posixOrder: true, long: 'help version' },
  setsid: { flags: 'Vcfhw', posixOrder: true, long: 'ctty fork help version wait' },
  time: { flags: 'apqv', valued: 'fo', posixOrder: true, long: 'append help portability quiet verbose version', longValued: 'format output' },
  command: { flags: 'pvV', posixOrder: true },
  builtin: { posixOrder: true },
  exec: { flags: 'cl', valued: 'a', posixOrder: true },
};
