#!/usr/bin/env python3
"""Runs llama.cpp's own OpenAI-compatible HTTP server (xllamacpp) on 127.0.0.1 for one GGUF model.

No proxy, no rewriting: PushPals talks to raw llama-server (its model client reads tool calls that
the model writes as JSON text). Started and stopped by scripts/setup-local-model.sh.

  python serve.py --gguf MODEL.gguf --port 8089 [--ctx 8192] [--threads 2] [--max-tokens 1024]
"""
import argparse
import os
import signal
import threading
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--alias", default="qwen2.5-coder-1.5b-instruct", help="the model name /v1/models reports")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ctx", type=int, default=8192)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=1024, help="cap on generated tokens when a request sets none")
    a = ap.parse_args()
    if not Path(a.gguf).is_file():
        raise SystemExit(f"no model file at {a.gguf}: run scripts/setup-local-model.sh install")

    # ggml's OpenMP workers spin-wait by default; on a busy 2-core machine that collapses generation
    # speed (2-4 tok/s instead of ~20). Passive waiting keeps it steady. Must be set before the import.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import xllamacpp as xlc  # noqa: E402 (after the env variable on purpose)

    p = xlc.CommonParams()
    p.model.path = a.gguf
    p.model_alias = [a.alias]
    p.n_ctx = a.ctx
    p.n_parallel = 1
    p.n_predict = a.max_tokens
    p.cpuparams.n_threads = a.threads
    p.cpuparams_batch.n_threads = a.threads
    p.use_jinja = True  # the GGUF's chat template (Qwen's tools section)
    p.hostnames = ["127.0.0.1"]  # loopback only, whatever the caller asks
    p.port = a.port
    p.offline = True  # never reach for a model hub
    p.warmup = True
    p.ui = False
    p.verbosity = 1
    t0 = time.time()
    srv = xlc.Server(p)
    print(f"[local-model] {a.alias} loaded in {time.time() - t0:.1f}s; OpenAI-compatible endpoint {srv.listening_address}/v1", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    print("[local-model] stopping", flush=True)
    # xllamacpp's Server destructor can block on its worker threads; the OS frees everything.
    os._exit(0)


if __name__ == "__main__":
    main()
