/**
 * Read-only tools: allowed, but only with options the policy knows (program-options.ts). An
 * unknown option asks — it may be one that runs a program, writes a file or uses the network —
 * and so does an argument that is not statically known in option position for the tools that do
 * have such options (`rg "$x"` may be `rg --pre=sh`).
 */
import { compileSpec, scanArgs, valuesOf, type CompiledSpec, type OptionSpec, type ScannedArgs } from '../options';
import { ANY_OPTION_AUDITED, READER_OPTIONS, WRITER_OPTIONS } from '../program-options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, worse, type Judgment } from '../verdicts';
import type { Arg } from '../words';

/** Tools that have options which run programs or write files (removed from their lists). */
const HAZARDOUS = new Set(['rg', 'ag', 'less', 'tree', 'file', 'date', 'hostname', 'diff3', 'sort', 'tar', 'install', 'mktemp', 'iconv', 'xargs', 'env']);

/** Reads a command's arguments against its spec: a judgment when an option is unknown. */
export function knownOptions(name: string, args: Arg[], spec: CompiledSpec): { scan: ScannedArgs; problem?: Judgment } {
  const scan = scanArgs(args, spec);
  if (scan.unknown) return { scan, problem: ask(`${name} ${scan.unknown.raw}: an option the policy does not know (it may run a program, write a file or use the network)`) };
  if (scan.dynamic && HAZARDOUS.has(name)) return { scan, problem: ask(`${name} ${scan.dynamic.raw}: not statically known, so it may be an option that runs a program or writes a file`) };
  return { scan };
}

const compiled = new Map<string, CompiledSpec>();
const LISTED: Record<string, OptionSpec> = { ...READER_OPTIONS, ...WRITER_OPTIONS };
/** The compiled option list of a reader or writer (program-options.ts). */
export function specOf(name: string): CompiledSpec {
  let c = compiled.get(name);
  if (!c) {
    const s = LISTED[name];
    if (!s) throw new Error(`policy: no option list for ${name}`);
    c = compileSpec(s);
    compiled.set(name, c);
  }
  return c;
}

function reader(specName: string): Rule {
  return (_ctx, name, args) => knownOptions(name, args, specOf(specName)).problem ?? allow(`${name} is read-only`);
}

/** less runs `+cmd` start-up commands (which may include `!shell`): only plain viewing is allowed. */
const less: Rule = (ctx, name, args, depth) => {
  const plus = args.find((a) => a.text.startsWith('+'));
  return plus ? ask(`${name} ${plus.raw}: a start-up command (it may run a shell command)`) : reader('less')(ctx, name, args, depth);
};

/** tree -o FILE writes its listing. */
const tree: Rule = (ctx, name, args) => {
  const spec = compileSpec({ ...READER_OPTIONS.tree, valued: `${READER_OPTIONS.tree?.valued ?? ''}o` });
  const { scan, problem } = knownOptions(name, args, spec);
  let j: Judgment = problem ?? allow(`${name} is read-only`);
  for (const v of valuesOf(scan, '-o')) j = worse(j, ctx.paths.writeTarget(v, `${name} -o`));
  return j;
};

/** xxd [options] [infile [outfile]]: the second operand is written. */
const xxd: Rule = (ctx, name, args) => {
  const ops = args.filter((a, i) => !(a.static && a.text.startsWith('-') && a.text !== '-') && !/^-(c|g|l|n|o|s|R|cols|groupsize|len|name|seek)$/.test(args[i - 1]?.text ?? ''));
  const out = ops[1];
  return (out ? ctx.paths.writeTarget(out, `${name} output file ${out.raw}`) : undefined) ?? allow(`${name} is read-only`);
};

/** yq -i edits its files in place. */
const yq: Rule = (ctx, name, args) => {
  if (!args.some((a) => a.text === '-i' || a.text === '--inplace' || /^-[a-zA-Z]*i[a-zA-Z]*$/.test(a.text))) return allow(`${name} is read-only`);
  let j: Judgment = allow(`${name} -i edits files inside the workspace`, 'medium');
  for (const op of args.filter((a) => !a.text.startsWith('-')).slice(1)) j = worse(j, ctx.paths.writeTarget(op, `${name} -i ${op.raw}`));
  return j;
};

/** iconv -o FILE writes. */
const iconv: Rule = (ctx, name, args) => {
  const { scan, problem } = knownOptions(name, args, specOf('iconv'));
  let j: Judgment = problem ?? allow(`${name} converts text`);
  for (const v of valuesOf(scan, '-o', '--output')) j = worse(j, ctx.paths.writeTarget(v, `${name} -o`));
  return j;
};

/** mktemp creates a file: in -p DIR / --tmpdir DIR / $TMPDIR (/tmp) with -t, else where the template says. */
function mktemp(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const { scan, problem } = knownOptions(name, args, specOf('mktemp'));
  if (problem) return problem;
  const dir = valuesOf(scan, '-p', '--tmpdir')[0];
  const toTmp = scan.options.some((o) => o.name === '-t' || (o.name === '--tmpdir' && !o.value));
  const template = scan.operands[0];
  if (dir) return ctx.paths.writeTarget(dir, `${name} -p`) ?? allow(`${name} creates a temporary file`);
  if (!template || toTmp) return allow(`${name} creates a file in /tmp`);
  return ctx.paths.writeTarget(template, `${name} ${template.raw}`) ?? allow(`${name} creates a temporary file`);
}

export const READER_RULES: Record<string, Rule> = {
  ...Object.fromEntries(Object.keys(READER_OPTIONS).map((n) => [n, reader(n)])),
  ...sameRule(['egrep', 'fgrep'], reader('grep')),
  ...sameRule(ANY_OPTION_AUDITED, (_ctx, name) => allow(`${name} is read-only`)),
  less,
  tree,
  xxd,
  yq,
  iconv,
  mktemp,
};
