# Shared by the t_*.sh end-to-end scripts (owner: oci+e2e). Usage at the top of a test:
#   . "$(dirname "$0")/lib.sh" "$@"      # $1 = build dir, $2 = this folder's build dir (guests)
# then e2e_start to bring up the private containerd (tests/e2e/containerd_env.sh).
set -u
E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_BUILD=$(cd "${1:?usage: $0 BUILD_DIR GUEST_DIR}" && pwd)
E2E_GUESTS=$(cd "${2:?usage: $0 BUILD_DIR GUEST_DIR}" && pwd)
WASIPOOL=$E2E_BUILD/wasipool
. "$E2E_SRC/containerd_env.sh"

e2e_start() { ctd_start "$E2E_BUILD"; E2E_WORK=$CTD_DIR/work; mkdir -p "$E2E_WORK"; }

# e2e_image NAME:TAG DIR [wasipool image build options...]: build the image and import it with a plain
# `ctr image import` (no flags: the image must come out named NAME:TAG).
e2e_image() {
  local ref=$1 dir=$2; shift 2
  local tar=$E2E_WORK/$(echo "$ref" | tr '/:' '__').tar
  "$WASIPOOL" image build "$dir" -t "$ref" -o "$tar" "$@" > /dev/null || ctd_fail "image build $ref failed"
  ctr_ image import "$tar" > "$E2E_WORK/import.out" 2>&1 || { cat "$E2E_WORK/import.out" >&2; ctd_fail "ctr image import $tar"; }
  ctr_ image ls -q | grep -qxF "$ref" || { ctr_ image ls >&2; ctd_fail "import did not create image $ref"; }
}

# A rootfs directory with Debian's busybox-static as /bin/busybox and /bin/sh.
e2e_busybox_dir() {
  local d=$1
  [ -x /bin/busybox ] || ctd_fail "busybox-static is not installed (/bin/busybox)"
  ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || ctd_fail "/bin/busybox is not statically linked"
  mkdir -p "$d/bin"
  cp /bin/busybox "$d/bin/busybox"
  ln -sf busybox "$d/bin/sh"
}

# e2e_expect_eq WHAT EXPECTED ACTUAL
e2e_expect_eq() { [ "$2" = "$3" ] || ctd_fail "$1: expected '$2', got '$3'"; }
e2e_expect_contains() { printf '%s' "$3" | grep -qF -- "$2" || ctd_fail "$1: '$2' not in output: $3"; }

# e2e_wait_http URL TRIES: curl until it answers (the server needs a moment after `ctr run -d`).
e2e_wait_http() {
  local i
  for i in $(seq 1 "$2"); do
    curl -sf --max-time 2 "$1" > "$E2E_WORK/http.out" 2>/dev/null && { cat "$E2E_WORK/http.out"; return 0; }
    sleep 0.1
  done
  return 1
}

# e2e_wait_status ID STATUS TRIES: poll `ctr task ls` until the task shows STATUS.
e2e_wait_status() {
  local i
  for i in $(seq 1 "$3"); do
    [ "$(ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }')" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# e2e_exit_status ID: the exit status containerd published in ID's /tasks/exit event (recorded by the
# harness's `ctr events`; exit_status is omitted from the JSON when 0). `ctr task delete` cannot tell us:
# in 1.6 it only logs a warning for a non-zero status and exits 0. Fails if no exit event arrives in 5 s.
e2e_exit_status() {
  local i line
  for i in $(seq 1 50); do
    line=$(grep -E " /tasks/exit .*\"container_id\":\"$1\"" "$CTD_DIR/events.log" | tail -1)
    if [ -n "$line" ]; then
      printf '%s' "$line" | grep -oE '"exit_status":[0-9]+' | cut -d: -f2 | grep . || echo 0
      return 0
    fi
    sleep 0.1
  done
  ctd_fail "no /tasks/exit event for $1"
}

# e2e_app GUEST: $E2E_WORK/app holding the built guest GUEST.wasm (this folder's build dir).
e2e_app() {
  [ -f "$E2E_GUESTS/$1.wasm" ] || ctd_fail "guest $E2E_GUESTS/$1.wasm not built (build target guest_$1)"
  mkdir -p "$E2E_WORK/app" && cp "$E2E_GUESTS/$1.wasm" "$E2E_WORK/app/"
}
