/** Network clients: always ask, need a network-enabled sandbox, and taint a pipeline (`curl … | sh`). */
import { wordSet } from '../command-sets';
import { compileSpec, scanArgs } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, askNet, worse, type Judgment } from '../verdicts';
import type { Arg } from '../words';

/** Plain network clients (curl, wget and rsync have rules of their own for their output paths). */
export const NETWORK = wordSet(`
  curl wget nc ncat netcat socat ssh scp sftp ftp telnet ping ping6 dig nslookup host whois http https aria2c lynx w3m
  aws gcloud gsutil az kubectl helm terraform pulumi heroku fly flyctl vercel netlify doctl gem bundle composer
  apt apt-get aptitude yum dnf apk brew pacman zypper snap flatpak conda mamba pipx
`);

const CURL_OUTPUTS = { short: ['-o', '-D', '-c', '--trace', '--trace-ascii', '--libcurl', '--stderr', '--output-dir'], long: ['--output', '--dump-header', '--cookie-jar', '--trace', '--trace-ascii', '--libcurl', '--stderr', '--output-dir'] };
const WGET_OUTPUTS = { short: ['-O', '-o', '-a', '-P'], long: ['--output-document', '--output-file', '--append-output', '--directory-prefix'] };

function fetch(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  let j: Judgment = { ...askNet(`${name} uses the network`), tag: 'fetch' };
  if (args.some((a) => a.text === '-K' || a.text.startsWith('--config'))) j = worse(j, ask(`${name} reads options from a config file`));
  const { short, long } = name === 'curl' ? CURL_OUTPUTS : WGET_OUTPUTS;
  return worse(j, ctx.paths.optionTargets(name, args, short, long));
}

/** rsync's options that neither run a program (-e, --rsync-path, --daemon, --config) nor write elsewhere (--log-file, --write-batch, --backup-dir …). */
const RSYNC = compileSpec({
  flags: 'vqcarRbuldLkKHpEAXogDtOJSnWxCyzhiFm0P8',
  valued: 'fBT',
  long: `verbose quiet checksum archive recursive relative backup update inplace append append-verify dirs links copy-links copy-unsafe-links
    safe-links keep-dirlinks hard-links perms executability acls xattrs owner group devices specials times omit-dir-times atime crtimes
    super fake-super sparse preallocate dry-run whole-file one-file-system existing ignore-existing remove-source-files delete
    delete-before delete-during delete-delay delete-after delete-excluded ignore-errors force partial delay-updates prune-empty-dirs
    numeric-ids ignore-times size-only compress cvs-exclude from0 protect-args human-readable progress stats itemize-changes
    list-only mkpath no-implied-dirs copy-dirlinks open-noatime`,
  longValued: 'filter exclude include exclude-from include-from files-from max-delete max-size min-size modify-window compress-level skip-compress out-format info debug block-size timeout contimeout outbuf bwlimit iconv',
  negatable: true,
});

/** rsync is a local copy unless an operand names a host. */
function rsync(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  if (args.some((a) => /^(-[a-zA-Z]*e|--rsh|--rsync-path)/.test(a.text))) return ask('rsync with a remote shell or rsync path runs a program');
  const scan = scanArgs(args, RSYNC);
  if (scan.unknown || scan.dynamic) return ask(`${name} ${(scan.unknown ?? scan.dynamic)?.raw ?? ''}: an option the policy does not know (rsync has options that run programs or write files)`);
  const ops = scan.operands;
  if (ops.some((o) => /^[^/]*::|^rsync:\/\/|^[^/:]+:/.test(o.text))) return { ...askNet('rsync to or from a remote host'), tag: 'fetch' };
  const dest = ops[ops.length - 1];
  let j: Judgment = (dest ? ctx.paths.writeTarget(dest, `rsync destination ${dest.raw}`) : undefined) ?? allow('rsync inside the workspace', 'medium');
  for (const src of ops.slice(0, -1)) if (ctx.paths.classify(src) === 'gitdir' || (src.static && /(^|\/)\.git\/?$/i.test(src.text))) j = worse(j, ask(`${name} ${src.raw}: copies a git directory, whose config and hooks make git run programs`));
  return j;
}

export const NETWORK_RULES: Record<string, Rule> = { ...sameRule(['curl', 'wget'], fetch), rsync };
