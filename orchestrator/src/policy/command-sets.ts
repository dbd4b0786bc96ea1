/** The broad default lists by command name; specific tools have their own rule modules under rules/. */
import { ask, type Judgment } from './verdicts';

/** A set from a whitespace-separated list (the tables read better as prose). */
export const wordSet = (s: string): Set<string> => new Set(s.trim().split(/\s+/));

/**
 * Read-only programs without options. Everything else that reads has its option list in
 * program-options.ts (rules/readers.ts): an option the policy does not know asks.
 */
export const READ_ONLY = wordSet('clear');

/** Build, test and lint tools: they run the workspace's own code, inside the sandbox. */
export const BUILD_TOOLS = wordSet(`
  tsc eslint prettier jest mocha vitest ava nyc c8 tsx ts-node playwright cypress karma jasmine tap biome oxlint
  pytest py.test mypy ruff flake8 black pylint isort pyright bandit coverage
  gofmt golangci-lint staticcheck rustc rustfmt clippy-driver
  gcc g++ cc c++ clang clang++ ld ar ranlib nm objdump javac java kotlinc scalac ghc
  cmake ctest ninja meson autoreconf autoconf automake ./configure shellcheck hadolint actionlint yamllint markdownlint
  stylelint htmlhint tslint standard xo
`);

/** Builtins that run a string or a file as code: their content cannot be classified. */
export const EVAL_LIKE = wordSet('eval source . alias enable fc');

export const EDITORS = wordSet('vi vim nvim nano emacs ed ex pico joe mcedit');

/** Environment variables that make a command load or run other programs. */
const DANGEROUS_ENV = /^(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|BASH_ENV|ENV|PROMPT_COMMAND|PS4|SHELLOPTS|BASHOPTS|IFS|PATH|CDPATH|GIT_(?!(AUTHOR|COMMITTER)_(NAME|EMAIL|DATE)$|TERMINAL_PROMPT$|OPTIONAL_LOCKS$|FLUSH$|ADVICE$).*|PAGER|MANPAGER|EDITOR|VISUAL|SSH_ASKPASS|HOME|XDG_[A-Z_]+|TAR_OPTIONS|RIPGREP_CONFIG_PATH|LESS|LESSKEY.*|LESSSECURE|MORE|TMPDIR|RSYNC_RSH|RSYNC_CONNECT_PROG|ZIPOPT|UNZIPOPT|GZIP|XZ_OPT|ZSTD_.*|PERL5DB|PYTHONHOME|PYTHONINSPECT|RUBYLIB|NODE_OPTIONS|NODE_PATH|PYTHONSTARTUP|PYTHONPATH|PERL5OPT|PERL5LIB|RUBYOPT|BASH_FUNC_.*|LESSOPEN|LESSCLOSE|npm_config_.*|NPM_CONFIG_.*)$/;

/** An ask when assigning `name` (as a prefix, via env, or with export/declare) changes what later runs. */
export function envAssignmentRisk(name: string, laterCommands = false): Judgment | undefined {
  if (!DANGEROUS_ENV.test(name)) return undefined;
  return ask(`sets ${name}, which changes which programs ${laterCommands ? 'later commands ' : ''}run`);
}
