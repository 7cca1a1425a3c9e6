# Runtime adapter for the public WASI test suite (github.com/WebAssembly/wasi-testsuite), owner: run.
# Lets its own runner drive `wasipool run`:
#   WASIPOOL=build/wasipool python3 test-runner/wasi_test_runner.py \
#       -t tests/c/testsuite/wasm32-wasip1 tests/rust/testsuite/wasm32-wasip1 \
#          tests/assemblyscript/testsuite/wasm32-wasip1 -r /path/to/this/file
# (or ./run-tests --runtime-adapter /path/to/this/file). The suite itself is fetched and run
# locally, never committed; see docs/run.md.
import os
import shlex
import subprocess
from typing import Dict, List, Optional, Tuple

WASIPOOL = shlex.split(os.getenv("WASIPOOL", "wasipool"))


def get_name() -> str:
    return "wasipool"


def get_version() -> str:
    # `wasipool help` exits 0 when the binary works; the project has no release numbers yet.
    subprocess.run(WASIPOOL[0:1] + ["help"], capture_output=True, check=True)
    return "0.1.0"


def get_wasi_versions() -> List[str]:
    return ["wasm32-wasip1"]


def get_wasi_worlds() -> List[str]:
    return ["wasi:cli/command"]


def get_timeout_seconds() -> float:
    # An interpreter: give the slower tests more than the runner's 5 s default.
    return float(os.getenv("WASIPOOL_TEST_TIMEOUT", "60"))


def compute_argv(test_path: str,
                 args_env_root: Tuple[List[str], Dict[str, str], Optional[str]],
                 proposals: List[str],
                 wasi_world: str,
                 wasi_version: str) -> List[str]:
    args, env, root = args_env_root
    argv = WASIPOOL + ["run"]
    for name, value in env.items():
        argv += ["--env", f"{name}={value}"]
    if root:
        argv += ["--dir", f"{root}::/"]
    # `--` ends wasipool's options, so test arguments that look like options stay the guest's.
    argv += ["--", test_path]
    argv += args
    return argv
