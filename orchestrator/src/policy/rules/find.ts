/**
 * find reads; its primaries are all known here: -delete and -fprint* write, -exec/-ok run a command
 * (classified as such), and any primary the policy does not know asks.
 */
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, deny, worse, type Judgment } from '../verdicts';
import { dynamicArg, literalArg, type Arg } from '../words';
import { wordSet } from '../command-sets';

/** Primaries without an argument. */
const FIND_NULLARY = wordSet(`
  -depth -d -mount -xdev -noleaf -ignore_readdir_race -noignore_readdir_race -follow -daystart -help --help -version --version
  -empty -executable -false -true -nogroup -nouser -readable -writable -ls -print -print0 -prune -quit -not -a -and -o -or ! ( ) ,
`);
/** Primaries with one argument (tests and harmless options). */
const FIND_UNARY = wordSet(`
  -maxdepth -mindepth -regextype -warn -nowarn -files0-from -amin -anewer -atime -cmin -cnewer -ctime -fstype -gid -group
  -ilname -iname -inum -ipath -iregex -iwholename -links -lname -mmin -mtime -name -newer -path -perm -regex -samefile -size
  -type -uid -used -user -wholename -xtype -context -printf
`);

function find(ctx: RuleContext, name: string, args: Arg[], depth: number): Judgment {
  const roots: Arg[] = [];
  let i = 0;
  // Leading options: -H -L -P, -D debugopts, -Olevel.
  while (i < args.length && /^-([HLP]|O\d|D)$/.test(args[i]?.text ?? '')) i += args[i]?.text === '-D' ? 2 : 1;
  while (i < args.length && !/^[-(!]/.test((args[i] as Arg).text)) {
    const r = args[i++] as Arg;
    // Unquoted, an expansion may split into primaries (`find . $expr` → -fprint /etc/x).
    if (!r.static && !r.raw.startsWith('"')) return ask(`${name} ${r.raw}: may expand to several arguments, primaries included`);
    roots.push(r);
  }
  if (roots.length === 0) roots.push(literalArg('.'));
  let j: Judgment = allow(`${name} is read-only`);
  for (; i < args.length; i++) {
    const a = args[i] as Arg;
    const t = a.text;
    if (!a.static && !a.raw.startsWith('"')) return worse(j, ask(`${name} ${a.raw}: an expression that is not statically known (it may be -exec or -fprint)`));
    if (['-exec', '-execdir', '-ok', '-okdir'].includes(t)) {
      const cmd: Arg[] = [];
      for (i++; i < args.length && !(args[i]?.text === ';' || args[i]?.text === '+'); i++) cmd.push(args[i] as Arg);
      // `{}` is a path found under the roots: inside the workspace when every root is.
      const rootsInside = roots.every((r) => ctx.paths.inWorkspace(r));
      const found = (x: Arg): Arg => (rootsInside ? literalArg(x.text.split('{}').join(`${ctx.paths.ws}/found`)) : dynamicArg(x.raw));
      j = worse(j, cmd.length ? ctx.command(cmd.map((x) => (x.text.includes('{}') ? found(x) : x)), depth) : deny(`${name} -exec without a command`, true));
    } else if (t === '-delete') {
      for (const r of roots) j = worse(j, ctx.paths.writeTarget(r, `${name} ${r.raw} -delete`, true) ?? allow(`${name} -delete inside the workspace`, 'medium'));
    } else if (['-fprint', '-fprint0', '-fls'].includes(t) || t === '-fprintf') {
      const target = args[++i];
      if (target) j = worse(j, ctx.paths.writeTarget(target, `${name} ${t}`));
      if (t === '-fprintf') i++;
    } else if (/^-newer[aBcmt][aBcmt]$/.test(t) || FIND_UNARY.has(t)) i++;
    else if (!FIND_NULLARY.has(t)) return worse(j, ask(`${name} ${t}: a primary the policy does not know`));
  }
  return j;
}

/** find -exec runs a command: listed with the wrappers so an allow rule on find never allows it. */
export const FIND_RULES: Record<string, Rule> = sameRule(['find'], find);
