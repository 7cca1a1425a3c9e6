# Shared by the slight t_*.sh tests (owner: slight). Usage at the top of a test:
#   . "$(dirname "$0")/lib.sh" "$@"      # $1 = build dir (holds wasipool and examples/slight/)
# Every test runs real `wasipool slight -c DIR/slightfile.toml run DIR/app.wasm` processes and talks to
# them with curl over 127.0.0.1. Apps read their listen address through the configs capability
# (HELLO_SLIGHT_ADDRESS); port 0 lets the kernel pick, and the host prints "Serving http://IP:PORT".
set -u
SLIGHT_BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
WASIPOOL=$SLIGHT_BUILD/wasipool
SLIGHT_EXAMPLES=$SLIGHT_BUILD/examples/slight
SLIGHT_TMP=$(mktemp -d /tmp/wasipool-slight-test.XXXXXX)
SLIGHT_PID=
SLIGHT_PORT=
SLIGHT_OUT=
SLIGHT_ERR=
_slight_extra_pids=()

fail() {
  echo "slight test: FAIL: $*" >&2
  [ -n "$SLIGHT_ERR" ] && [ -f "$SLIGHT_ERR" ] && { echo "--- wasipool slight stderr:" >&2; cat "$SLIGHT_ERR" >&2; }
  exit 1
}

_slight_cleanup() {
  [ -n "$SLIGHT_PID" ] && kill -KILL "$SLIGHT_PID" 2>/dev/null
  local p
  for p in "${_slight_extra_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$SLIGHT_TMP"
}
trap _slight_cleanup EXIT

[ -x "$WASIPOOL" ] || fail "$WASIPOOL not built"
command -v curl > /dev/null || fail "curl is not installed"

expect_eq() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }
expect_contains() { printf '%s' "$3" | grep -qF -- "$2" || fail "$1: '$2' not in: $3"; }

# slight_app NAME DEST: copy an example app directory (slightfile.toml + app.wasm) to DEST.
slight_app() {
  [ -f "$SLIGHT_EXAMPLES/$1/app.wasm" ] || fail "example $1 not built ($SLIGHT_EXAMPLES/$1)"
  mkdir -p "$2" && cp "$SLIGHT_EXAMPLES/$1/app.wasm" "$SLIGHT_EXAMPLES/$1/slightfile.toml" "$2/"
}

# slight_cases_app DEST: the test guest (guests/cases.c) with http, http-client and configs.envvars.
slight_cases_app() {
  mkdir -p "$1"
  cp "$SLIGHT_BUILD/tests/slight/slight_cases.wasm" "$1/app.wasm" || fail "test guest not built (slight_cases.wasm)"
  cat > "$1/slightfile.toml" <<'T'
specversion = "0.2"
[[capability]]
resource = "http"
name = "api"
[[capability]]
resource = "http-client"
name = "out"
[[capability]]
resource = "configs.envvars"
name = "cfg"
T
}

# slight_start DIR [VAR=VALUE...]: start the app in DIR with HELLO_SLIGHT_ADDRESS=127.0.0.1:0 and wait
# for its "Serving" line; sets SLIGHT_PID and SLIGHT_PORT.
slight_start() {
  local dir=$1 i line
  shift
  SLIGHT_OUT=$SLIGHT_TMP/out.$RANDOM
  SLIGHT_ERR=$SLIGHT_TMP/err.$RANDOM
  env HELLO_SLIGHT_ADDRESS=127.0.0.1:0 "$@" "$WASIPOOL" slight -c "$dir/slightfile.toml" run "$dir/app.wasm" \
    > "$SLIGHT_OUT" 2> "$SLIGHT_ERR" &
  SLIGHT_PID=$!
  for i in $(seq 1 300); do
    line=$(grep -m1 '^Serving http://' "$SLIGHT_OUT" 2>/dev/null)
    if [ -n "$line" ]; then
      SLIGHT_PORT=${line##*:}
      return 0
    fi
    kill -0 "$SLIGHT_PID" 2>/dev/null || fail "wasipool slight exited before serving"
    sleep 0.05
  done
  fail "wasipool slight did not print 'Serving http://' within 15 s"
}

# slight_stop [SIGNAL]: signal the app (TERM by default) and require a clean exit 0.
slight_stop() {
  local sig=${1:-TERM} rc
  kill -"$sig" "$SLIGHT_PID" || fail "kill -$sig $SLIGHT_PID"
  wait "$SLIGHT_PID"
  rc=$?
  SLIGHT_PID=
  expect_eq "exit status after SIG$sig" 0 "$rc"
}

# http METHOD PATH [curl args...]: prints "STATUS BODY" (body without trailing newline).
http() {
  local m=$1 p=$2
  shift 2
  local f status
  f=$(mktemp "$SLIGHT_TMP/body.XXXXXX")  # one file per call: callers run several at once
  status=$(curl -s --max-time 10 -X "$m" -o "$f" -w '%{http_code}' "$@" "http://127.0.0.1:$SLIGHT_PORT$p") || true
  printf '%s %s' "$status" "$(cat "$f")"
  rm -f "$f"
}

# slight_load_fails DIR PATTERN: the app must not start: exit status 1 and PATTERN (grep -E) on stderr.
slight_load_fails() {
  local dir=$1 pattern=$2 rc
  timeout 20 env HELLO_SLIGHT_ADDRESS=127.0.0.1:0 "$WASIPOOL" slight -c "$dir/slightfile.toml" run "$dir/app.wasm" \
    > "$SLIGHT_TMP/lf.out" 2> "$SLIGHT_TMP/lf.err"
  rc=$?
  [ "$rc" = 1 ] || fail "$dir: expected exit status 1, got $rc (stderr: $(cat "$SLIGHT_TMP/lf.err"))"
  grep -qE -- "$pattern" "$SLIGHT_TMP/lf.err" || fail "$dir: stderr does not match '$pattern': $(cat "$SLIGHT_TMP/lf.err")"
  ! grep -q '^Serving' "$SLIGHT_TMP/lf.out" || fail "$dir: the app served although loading should fail"
}

# free_port: a free TCP port on 127.0.0.1 (for helper servers such as redis).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
