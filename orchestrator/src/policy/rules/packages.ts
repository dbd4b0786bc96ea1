/**
 * Package managers and build drivers. Running the workspace's own tests, scripts and builds is
 * allowed (it is sandboxed); anything that talks to a registry asks and needs the network;
 * publishing or handling credentials is high risk.
 */
import { BUILD_TOOLS, wordSet } from '../command-sets';
import { leadingOptions, operands, optionValue, withText } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, askNet, commitClass, deny, type Judgment } from '../verdicts';
import { literalArg, type Arg } from '../words';
import { rm } from './files';

const NPM_LOCAL = wordSet('test t tst run run-script rum urn start stop restart ls list ll la explain why help prefix root bin pack help-search query rebuild rb');
const NPM_REGISTRY_ADMIN = wordSet('publish unpublish deprecate dist-tag owner access token adduser login logout team org hook profile star unstar');
const NPM_NETWORK = wordSet(`
  install i in ins inst insta instal isnt isnta isntal isntall add ci clean-install ic install-clean install-test it
  install-ci-test cit update up upgrade udpate uninstall remove rm r un unlink dedupe ddp prune audit outdated view v
  info show search s se find fund exec x init create innit doctor ping whoami link ln sbom repo docs home bugs cache diff
`);

/**
 * npm reads any `--key=value` before `--` as configuration (`--script-shell`, `--node-options`,
 * `--userconfig` …), after the script name too: only these leave what runs unchanged.
 */
const NPM_OPTIONS = wordSet(`
  -s --silent -q --quiet -d -dd -ddd --loglevel -w --workspace --workspaces -ws --include-workspace-root --if-present --json
  --parseable -p -l --long -a --all --depth --omit --include --color --no-color --foreground-scripts --prefix -C --version -v
  --help -h --no-fund --no-audit --no-update-notifier --no-progress --progress
`);

function npmOptions(ctx: RuleContext, rest: Arg[]): Judgment | undefined {
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as Arg;
    if (a.static && a.text === '--') return undefined;
    if (!a.static) return ask(`npm ${a.raw}: not statically known (npm would read an option in it as configuration)`);
    if (!a.text.startsWith('-')) continue;
    const opt = a.text.split('=')[0] as string;
    if (!NPM_OPTIONS.has(opt)) return ask(`npm ${a.raw}: npm reads it as configuration, which may change the shell or node options scripts run with`);
    if (['--prefix', '-C'].includes(opt)) {
      const dir = a.text.includes('=') ? withText(a, a.text.slice(a.text.indexOf('=') + 1)) : rest[++i];
      if (dir && !ctx.paths.inWorkspace(dir)) return ask(`npm ${opt} ${dir.raw}: runs a package outside the workspace`);
    } else if (['-w', '--workspace', '--loglevel', '--depth', '--omit', '--include', '--color'].includes(opt) && !a.text.includes('=')) i++;
  }
  return undefined;
}

function npm(ctx: RuleContext, _name: string, rest: Arg[]): Judgment {
  const ops = operands(rest, ['-w', '--workspace', '--prefix', '-C', '--loglevel', '--depth', '--omit', '--include', '--color']);
  const sub = ops[0]?.text;
  if (!sub) return allow('npm without a command prints help');
  if (NPM_LOCAL.has(sub)) return npmOptions(ctx, rest) ?? allow(`npm ${sub}`, sub === 'ls' || sub === 'list' || sub === 'help' ? 'low' : 'medium');
  if (sub === 'version' && ops.length === 1) return allow('npm version (prints versions)');
  if (sub === 'version') return commitClass(ctx.autoCommit, 'npm version creates a commit and a tag', false);
  if (sub === 'config' || sub === 'c') {
    const op = ops[1]?.text;
    return op === 'get' || op === 'list' || op === 'ls' ? allow('npm config (read)') : ask('npm config write changes npm settings');
  }
  if (NPM_REGISTRY_ADMIN.has(sub)) return { ...askNet(`npm ${sub} changes the registry or credentials`), risk: 'high' };
  if (NPM_NETWORK.has(sub)) return askNet(`npm ${sub} uses the registry (network)`);
  return ask(`npm ${sub}: unknown npm command`);
}

/** npx's own options that change nothing about what runs. */
const NPX_OPTIONS = wordSet('--no -q --quiet -s --silent -w --workspace --workspaces --include-workspace-root --no-install --prefer-offline --offline');

const NPX_LOCAL_TOOLS = ['cross-env', 'rimraf', 'concurrently', 'npm-run-all', 'run-s', 'run-p', 'ts-node', 'tsx', 'eslint', 'tsc', 'mocha', 'jest'];

/** npx runs a local tool like the tool itself; anything else may be downloaded from the registry. */
function npx(ctx: RuleContext, _name: string, rest: Arg[], depth: number): Judgment {
  let downloads = false;
  const i = leadingOptions(rest, 'npx', (a) => {
    if (a.text === '-c' || a.text.startsWith('--call')) return ask('npx -c runs a command string');
    if (['-p', '--package'].includes(a.text) || a.text.startsWith('--package=') || a.text === '--yes' || a.text === '-y') downloads = true;
    else if (!NPX_OPTIONS.has(a.text.split('=')[0] as string)) return ask(`npx ${a.raw}: an option the policy does not know (npm reads it as configuration)`);
    return ['-p', '--package', '-w', '--workspace'].includes(a.text) ? 2 : 1;
  });
  if (typeof i !== 'number') return i;
  const tool = rest[i];
  if (!tool) return ask('npx without a command');
  if (downloads) return askNet('npx --package/--yes may download and run a package from the registry');
  const base = tool.text.replace(/@[^/@]*$/, '');
  if (BUILD_TOOLS.has(base) || NPX_LOCAL_TOOLS.includes(base)) {
    if (base === 'rimraf') return rm(ctx, 'rm', [literalArg('-r'), ...rest.slice(i + 1)]);
    if (base === 'concurrently' || base.startsWith('npm-run-all') || base.startsWith('run-')) return ask(`npx ${base} runs command strings`);
    return ctx.command([{ ...tool, text: base }, ...rest.slice(i + 1)], depth);
  }
  return askNet(`npx ${tool.raw}: not a known local tool; npx may download it from the registry`);
}

const JS_PM_NETWORK = wordSet('install i add a update up upgrade remove rm uninstall un dlx x create init publish pm fetch import link unlink outdated audit info view npm global self-update set plugin patch patch-commit dedupe exec');
const JS_PM_LOCAL = wordSet('test t run run-script build lint start list ls why check typecheck format workspaces workspace recursive -r');

/** yarn, pnpm, bun: any other word is a package.json script. */
/** Options before the script name: only these, and a directory option must stay in the workspace. */
const JS_PM_OPTIONS = wordSet('--cwd -C --dir --filter -F -w --workspace -s --silent --frozen-lockfile --offline --prefer-offline -r --recursive --parallel --stream --if-present');

function jsPackageManager(ctx: RuleContext, name: string, rest: Arg[]): Judgment {
  for (let k = 0; k < rest.length; k++) {
    const a = rest[k] as Arg;
    if (!a.static) return ask(`${name} ${a.raw}: not statically known (it may be an option)`);
    if (!a.text.startsWith('-')) break;
    const opt = a.text.split('=')[0] as string;
    if (!JS_PM_OPTIONS.has(opt)) return ask(`${name} ${a.raw}: an option the policy does not know (bun -e runs inline code; others change configuration)`);
    if (['--cwd', '-C', '--dir', '--filter', '-F', '-w', '--workspace'].includes(opt) && !a.text.includes('=')) k++;
    const dir = ['--cwd', '-C', '--dir'].includes(opt) ? (a.text.includes('=') ? withText(a, a.text.slice(a.text.indexOf('=') + 1)) : rest[k]) : undefined;
    if (dir && !ctx.paths.inWorkspace(dir)) return ask(`${name} ${opt} ${dir.raw}: runs a package outside the workspace`);
  }
  const ops = operands(rest, ['--cwd', '-C', '--dir', '--filter', '-F', '-w', '--workspace']);
  const sub = ops[0]?.text;
  if (sub === 'node' || sub === 'exec' || sub === 'dlx' || sub === 'x') return ask(`${name} ${sub} runs a program or inline code`);
  if (!sub) return name === 'bun' ? allow('bun prints help') : askNet(`${name} without a command installs dependencies`);
  if (JS_PM_NETWORK.has(sub)) return askNet(`${name} ${sub} may use the registry (network)`);
  if (sub === 'config') return ask(`${name} config changes package-manager settings`);
  if (sub === 'version') return commitClass(ctx.autoCommit, `${name} version may create a commit and a tag`, false);
  if (JS_PM_LOCAL.has(sub)) return allow(`${name} ${sub}`, 'medium');
  if (name === 'bun' && ctx.paths.inWorkspace(ops[0] as Arg)) return allow('bun runs a workspace script', 'medium');
  return allow(`${name} ${sub}: runs a package.json script`, 'medium');
}

const PIP_READ = ['list', 'show', 'freeze', 'check', 'help', 'debug', 'inspect', '--version', 'hash'];

/** Also reached as `python -m pip`. */
export function pip(rest: Arg[]): Judgment {
  const sub = operands(rest)[0]?.text;
  if (!sub || PIP_READ.includes(sub)) return allow(`pip ${sub ?? ''} (read-only)`);
  if (['install', 'download', 'wheel', 'uninstall', 'index', 'search'].includes(sub)) return askNet(`pip ${sub} uses the package index (network)`);
  if (sub === 'config' || sub === 'cache') return ask(`pip ${sub} changes pip settings or caches`);
  return ask(`pip ${sub}: unknown pip command`);
}

/** Toolchains with a subcommand: which ones stay local, which ones download or publish. */
const SUBCOMMAND_TOOLS: Record<string, { local: Set<string>; network: Set<string> }> = {
  cargo: { local: wordSet('test build check clippy fmt doc bench run tree metadata clean verify-project locate-project version help nextest'), network: wordSet('fetch install add update publish search login logout yank owner generate-lockfile vendor remove uninstall init new') },
  go: { local: wordSet('test build vet fmt run list env version doc clean help fix'), network: wordSet('get install mod work download') },
  dotnet: { local: wordSet('test build run format clean --info --version --list-sdks'), network: wordSet('restore add new tool nuget publish workload pack') },
};

function subcommandTool(name: string, rest: Arg[]): Judgment {
  const { local, network } = SUBCOMMAND_TOOLS[name] as { local: Set<string>; network: Set<string> };
  const sub = rest.find((a) => !a.text.startsWith('-') || local.has(a.text))?.text ?? '';
  if (sub.startsWith('+')) return subcommandTool(name, rest.filter((a) => a.text !== sub)); // cargo +toolchain
  if (!sub) return allow(`${name} without a subcommand`);
  if (local.has(sub)) return allow(`${name} ${sub}: build/test tool (runs the workspace's code inside the sandbox)`, 'medium');
  if (network.has(sub)) return askNet(`${name} ${sub} downloads or publishes (network)`);
  if (name === 'go' && sub === 'generate') return ask('go generate runs commands named in source comments');
  return ask(`${name} ${sub}: unknown subcommand`);
}

const BUILD_GOAL = /^(test|build|compile|test-compile|verify|package|check|clean|validate|assemble|lint|jar|classes|testClasses|javadoc|dependencies|tasks|help|projects|properties|surefire:test|spotless:check|spotlessCheck|checkstyleMain)$/;

/** Maven and Gradle: known build/test goals only (a plugin goal can run anything). */
function buildGoals(_ctx: RuleContext, name: string, rest: Arg[]): Judgment {
  const goals = operands(rest, ['-f', '-s', '-gs', '-pl', '-P', '-D', '-b', '-c', '-I', '-p', '--project-dir', '--init-script', '--settings-file']);
  const bad = goals.find((g) => !BUILD_GOAL.test(g.text.replace(/^:.*:/, '')));
  if (bad) return ask(`${name} ${bad.raw}: not a known build/test goal`);
  if (rest.some((a) => ['-I', '--init-script', '-s', '-gs', '--settings-file'].includes(a.text))) return ask(`${name} with an init script or settings file`);
  return allow(`${name} ${goals.map((g) => g.text).join(' ')}: build/test (dependencies must already be available offline)`, 'medium');
}

function make(ctx: RuleContext, _name: string, rest: Arg[]): Judgment {
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as Arg;
    // The directory operand is not skipped: `make -C SHELL=x` is still checked as an override.
    const dir = optionValue(rest, i, ['-C'], ['--directory'])?.value;
    if (dir) {
      const cls = ctx.paths.classify(dir);
      if (cls === 'outside') return deny(`make -C ${dir.raw}: builds outside the workspace`, true);
      if (cls === 'unknown') return ask(`make -C ${dir.raw}: directory not statically known`);
    }
    if (a.text.startsWith('SHELL=') || a.text.startsWith('MAKESHELL=') || a.text.startsWith('.SHELLFLAGS=')) return ask(`make ${a.text}: overrides the shell`);
  }
  return allow('make: runs the workspace Makefile (inside the sandbox)', 'medium');
}

export const PACKAGE_RULES: Record<string, Rule> = {
  npm,
  ...sameRule(['yarn', 'pnpm', 'bun'], jsPackageManager),
  bunx: () => askNet('bunx may download and run a package from the registry'),
  pip: (_ctx, _name, rest) => pip(rest),
  pip3: (_ctx, _name, rest) => pip(rest),
  ...sameRule(['uv', 'poetry', 'pipenv', 'tox', 'nox', 'hatch', 'pdm'], (_ctx, name) => askNet(`${name} creates environments and may install packages from the network`)),
  ...sameRule(Object.keys(SUBCOMMAND_TOOLS), (_ctx, name, rest) => subcommandTool(name, rest)),
  ...sameRule(['mvn', 'mvnw', 'gradle', 'gradlew'], buildGoals),
  ...sameRule(['make', 'gmake'], make),
};

/** npx runs another command: listed with the wrappers. */
export const NPX_RULES: Record<string, Rule> = { npx };
