/** The broad default lists by command name; specific tools have their own rule modules under rules/. */
import { ask, type Judgment } from './verdicts';

/** A set from a whitespace-separated list (the tables read better as prose). */
export const wordSet = (s: string): Set<string> => new Set(s.trim().split(/\s+/));

/** Read-only or harmless: allowed (their write options, if any, are checked separately). */
export const READ_ONLY = wordSet(`
  ls cat head tail grep egrep fgrep rg ag ack wc less more file stat du df tree realpath readlink basename dirname
  pwd echo printf true false test [ : date whoami id uname hostname which type printenv seq sleep cut tr paste join
  comm diff diff3 cmp jq yq xxd od hexdump strings md5sum sha1sum sha224sum sha256sum sha384sum sha512sum b2sum cksum
  base64 base32 column nl fold fmt rev tac expr nproc free uptime ps pgrep getconf locale tty stty clear tput
  set unset shift read wait exit return local declare typeset readonly export getopts let shopt umask ulimit times
  jobs fg bg disown unalias mapfile readarray compgen complete caller history dirs mktemp cd pushd popd kill
  npm-ls git-status lsof env-print cal factor numfmt iconv dos2unix-check
`);

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
const DANGEROUS_ENV = /^(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|BASH_ENV|ENV|PROMPT_COMMAND|PS4|SHELLOPTS|BASHOPTS|IFS|PATH|CDPATH|GIT_SSH|GIT_SSH_COMMAND|GIT_EXTERNAL_DIFF|GIT_PAGER|PAGER|MANPAGER|GIT_EDITOR|GIT_SEQUENCE_EDITOR|EDITOR|VISUAL|GIT_ASKPASS|SSH_ASKPASS|GIT_CONFIG.*|GIT_EXEC_PATH|GIT_DIR|GIT_WORK_TREE|GIT_TEMPLATE_DIR|GIT_PROXY_COMMAND|GIT_INDEX_FILE|NODE_OPTIONS|NODE_PATH|PYTHONSTARTUP|PYTHONPATH|PERL5OPT|PERL5LIB|RUBYOPT|BASH_FUNC_.*|LESSOPEN|LESSCLOSE|npm_config_.*|NPM_CONFIG_.*)$/;

/** An ask when assigning `name` (as a prefix, via env, or with export/declare) changes what later runs. */
export function envAssignmentRisk(name: string, laterCommands = false): Judgment | undefined {
  if (!DANGEROUS_ENV.test(name)) return undefined;
  return ask(`sets ${name}, which changes which programs ${laterCommands ? 'later commands ' : ''}run`);
}
