/** Network clients: always ask, need a network-enabled sandbox, and taint a pipeline (`curl … | sh`). */
import { wordSet } from '../command-sets';
import { operands } from '../options';
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

const RSYNC_VALUE_OPTIONS = ['--exclude', '--include', '--filter', '-f', '--exclude-from', '--include-from', '--files-from', '--log-file', '--partial-dir', '--temp-dir', '-T', '--backup-dir', '--chmod', '--chown'];

/** rsync is a local copy unless an operand names a host. */
function rsync(ctx: RuleContext, _name: string, args: Arg[]): Judgment {
  if (args.some((a) => /^(-e|--rsh|--rsync-path)/.test(a.text))) return ask('rsync with a remote shell or rsync path runs a program');
  const ops = operands(args, RSYNC_VALUE_OPTIONS);
  if (ops.some((o) => /^[^/]*::|^rsync:\/\/|^[^/:]+:/.test(o.text))) return { ...askNet('rsync to or from a remote host'), tag: 'fetch' };
  const dest = ops[ops.length - 1];
  return (dest ? ctx.paths.writeTarget(dest, `rsync destination ${dest.raw}`) : undefined) ?? allow('rsync inside the workspace', 'medium');
}

export const NETWORK_RULES: Record<string, Rule> = { ...sameRule(['curl', 'wget'], fetch), rsync };
