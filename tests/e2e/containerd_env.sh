# Private containerd for end-to-end tests (owner: oci+e2e). Source it from bash:
#
#   . tests/e2e/containerd_env.sh
#   ctd_start /work/main/build-foo        # dir holding wasipool + containerd-shim-*-v1 symlinks
#   ctr_ image import img.tar            # ctr with --address/--namespace of the private daemon
#   ctr_ run --rm --runtime io.containerd.wasm.v1 docker.io/library/x:1 t1
#
# ctd_start starts Debian's containerd with root, state, gRPC and ttrpc sockets under one `mktemp -d`
# (never the machine's /run/containerd or /etc/containerd), the CRI plugin disabled, snapshotter overlayfs,
# the build dir first on PATH so containerd resolves our shims, and installs an EXIT trap that tears
# everything down and FAILS the script (exit 1) if anything leaked: shim/workload processes, mounts under
# the temp dir, cgroups of our namespace, shim sockets in /run/containerd/s. Tests never skip: without
# root or containerd, ctd_start fails loudly.
#
# Exported: CTD_DIR (temp dir), CTD_SOCK (gRPC socket), CTD_NS (our containerd namespace, unique per run,
# so the cgroups /<ns>/<id> and shim socket names never collide with another test's), CTD_LOG (containerd
# log), CTD_BUILD. Functions: ctd_start, ctd_stop, ctd_restart, ctr_, ctd_leaks (prints leak lines),
# ctd_leak_counts (one-line counts for before/after comparisons), ctd_cleanup, ctd_free_port, ctd_fail.
# Hard-coded by containerd's shim convention (not by us): shim sockets live in /run/containerd/s/<sha256>;
# ctd_cleanup removes exactly the ones whose name is sha256(<CTD_SOCK>/<ns>/<id>) for ids seen in events.

ctd_fail() { echo "e2e: FAIL: $*" >&2; exit 1; }

# ctr against the private daemon. `run` and `task start/exec` get --fifo-dir under CTD_DIR so that ctr's
# stdio FIFOs are not created in the machine's /run/containerd/fifo.
ctr_() {
  # Every call is bounded (CTR_TIMEOUT, default 60 s): a hung shim fails the test instead of hanging it.
  local sub=$1 ctr="timeout ${CTR_TIMEOUT:-60} ctr"
  case "$sub" in
    run) shift; $ctr --address "$CTD_SOCK" --namespace "$CTD_NS" run --fifo-dir "$CTD_DIR/fifo" "$@" ;;
    task|t|tasks)
      case "$2" in
        start|exec) local a=$2; shift 2
          $ctr --address "$CTD_SOCK" --namespace "$CTD_NS" task "$a" --fifo-dir "$CTD_DIR/fifo" "$@" ;;
        *) $ctr --address "$CTD_SOCK" --namespace "$CTD_NS" "$@" ;;
      esac ;;
    *) $ctr --address "$CTD_SOCK" --namespace "$CTD_NS" "$@" ;;
  esac
}

# A free TCP port on 127.0.0.1 (the kernel picks it; a tiny race is acceptable for tests).
ctd_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

_ctd_write_config() {
  cat > "$CTD_DIR/config.toml" <<EOF
version = 2
root = "$CTD_DIR/root"
state = "$CTD_DIR/state"
# The CRI plugin is tested separately (tests/cri); here it would only add start-up time and CNI noise.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTD_SOCK"
[ttrpc]
  address = "$CTD_SOCK.ttrpc"
[debug]
  level = "debug"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    # default /opt/containerd: keep the machine untouched.
    path = "$CTD_DIR/opt"
EOF
}

# Start (or restart) the daemon with the already written config; wait until `ctr version` answers.
_ctd_launch() {
  PATH="$CTD_BUILD:$PATH" containerd --config "$CTD_DIR/config.toml" >> "$CTD_LOG" 2>&1 &
  CTD_PID=$!
  local i
  for i in $(seq 1 200); do
    if ctr --address "$CTD_SOCK" version > /dev/null 2>&1; then return 0; fi
    kill -0 "$CTD_PID" 2>/dev/null || { tail -20 "$CTD_LOG" >&2; ctd_fail "containerd exited at start (log $CTD_LOG)"; }
    sleep 0.05
  done
  tail -20 "$CTD_LOG" >&2
  ctd_fail "containerd did not answer 'ctr version' within 10 s (log $CTD_LOG)"
}

# Records every container/task id containerd publishes, to find the shim sockets we must clean.
_ctd_watch_events() {
  ctr --address "$CTD_SOCK" events >> "$CTD_DIR/events.log" 2>/dev/null &
  CTD_EVENTS_PID=$!
}

ctd_start() {
  [ "$(id -u)" = 0 ] || ctd_fail "the e2e tests need root (mounts, cgroups, runc)"
  command -v containerd > /dev/null || ctd_fail "containerd is not installed (Debian package containerd)"
  command -v ctr > /dev/null || ctd_fail "ctr is not installed (Debian package containerd)"
  CTD_BUILD=$(cd "${1:?ctd_start BUILD_DIR}" && pwd) || ctd_fail "no build dir $1"
  [ -x "$CTD_BUILD/wasipool" ] || ctd_fail "$CTD_BUILD/wasipool not built"
  [ -x "$CTD_BUILD/wasipool-shim" ] || ctd_fail "$CTD_BUILD/wasipool-shim not built"
  local f
  for f in spin slight wasm; do
    [ -e "$CTD_BUILD/containerd-shim-$f-v1" ] || ctd_fail "$CTD_BUILD/containerd-shim-$f-v1 missing"
  done
  # Short path on purpose: Unix socket paths are limited to ~107 bytes.
  CTD_DIR=$(mktemp -d /tmp/ctd.XXXXXX) || ctd_fail "mktemp"
  CTD_SOCK=$CTD_DIR/c.sock
  CTD_LOG=$CTD_DIR/containerd.log
  CTD_NS=e2e$(basename "$CTD_DIR" | cut -d. -f2 | tr 'A-Z' 'a-z')
  mkdir -p "$CTD_DIR/fifo"
  export CTD_DIR CTD_SOCK CTD_LOG CTD_NS CTD_BUILD
  trap _ctd_exit_trap EXIT
  # Turn signals into a normal exit so the EXIT trap still tears down (a closed stdout pipe, e.g.
  # `| head`, would otherwise kill bash with SIGPIPE and leave containerd running).
  trap 'exit 130' INT TERM HUP
  trap 'exit 141' PIPE
  _ctd_write_config
  _ctd_launch
  _ctd_watch_events
}

# Stop containerd only (shims keep running, as on a real node); SIGTERM, then SIGKILL after 10 s.
ctd_stop() {
  [ -n "${CTD_EVENTS_PID:-}" ] && { kill "$CTD_EVENTS_PID" 2>/dev/null; wait "$CTD_EVENTS_PID" 2>/dev/null; }
  CTD_EVENTS_PID=
  [ -n "${CTD_PID:-}" ] || return 0
  kill -TERM "$CTD_PID" 2>/dev/null
  local i
  for i in $(seq 1 200); do kill -0 "$CTD_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$CTD_PID" 2>/dev/null
  wait "$CTD_PID" 2>/dev/null
  CTD_PID=
}

ctd_restart() { ctd_stop; _ctd_launch; _ctd_watch_events; }

# Processes that belong to this test: containerd passes TTRPC_ADDRESS=<our socket>.ttrpc to every shim,
# and the shim's workloads inherit its environment; runc containers are found through our cgroups.
_ctd_our_pids() {
  # One grep over every environ file (-z: NUL-separated entries, -x: the whole entry).
  grep -lzxF "TTRPC_ADDRESS=$CTD_SOCK.ttrpc" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | grep -vxF "$$"
  local c
  for c in $(_ctd_ns_cgroups); do find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null; done
}

# /sys/fs/cgroup/<controller>/<CTD_NS> (v1 and the v2 "unified" hierarchy): cgroupsPath is /<ns>/<id>.
_ctd_ns_cgroups() { ls -d /sys/fs/cgroup/*/"$CTD_NS" /sys/fs/cgroup/"$CTD_NS" 2>/dev/null; }

_ctd_our_mounts() { awk -v d="$CTD_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo; }

# Per-container cgroups below the namespace directory (runc leaves the empty /<ns> parent itself behind:
# that is runc's normal behaviour, not a leak; ctd_cleanup removes it).
_ctd_our_cgroups() {
  local c
  for c in $(_ctd_ns_cgroups); do find "$c" -mindepth 1 -depth -type d; done
}

# sha256(<CTD_SOCK>/<ns>/<id>) for every id containerd announced: exactly our shims' socket names.
_ctd_our_sockets() {
  [ -f "$CTD_DIR/events.log" ] || return 0
  local ns id
  grep -oE ' [A-Za-z0-9._-]+ /(containers|tasks)/create .*"(id|container_id)":"[^"]+"' "$CTD_DIR/events.log" |
    sed -E 's/^ ([^ ]+) .*"(id|container_id)":"([^"]+)".*/\1 \3/' | sort -u |
    while read -r ns id; do
      local h
      h=$(printf '%s' "$CTD_SOCK/$ns/$id" | sha256sum | cut -d' ' -f1)
      [ -e "/run/containerd/s/$h" ] && echo "/run/containerd/s/$h"
    done
}

# One line per leaked thing; empty output = clean.
ctd_leaks() {
  local p
  for p in $(_ctd_our_pids | sort -u); do echo "process $p: $(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)"; done
  _ctd_our_mounts | sed 's/^/mount /'
  _ctd_our_cgroups | sed 's/^/cgroup /'
  _ctd_our_sockets | sed 's/^/socket /'
}

# "processes=N mounts=N cgroups=N sockets=N" (containerd and the events watcher themselves excluded).
ctd_leak_counts() {
  local np nm nc ns
  np=$(_ctd_our_pids | sort -u | grep -vxF -e "${CTD_PID:-x}" -e "${CTD_EVENTS_PID:-x}" | grep -c .)
  nm=$(_ctd_our_mounts | grep -c .)
  nc=$(_ctd_our_cgroups | grep -c .)
  ns=$(_ctd_our_sockets | grep -c .)
  echo "processes=$np mounts=$nm cgroups=$nc sockets=$ns"
}

# Full teardown: tasks and containers through containerd first (the normal path), then containerd, then
# force: kill leftover processes, unmount, rmdir cgroups, remove sockets, remove the temp dir.
# Prints leaks found BEFORE forcing and returns 1 if there were any.
ctd_cleanup() {
  [ -n "${CTD_DIR:-}" ] && [ -d "$CTD_DIR" ] || return 0
  local leaks="" t
  if [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null; then
    for t in $(ctr_ task ls -q 2>/dev/null); do
      timeout 10 ctr --address "$CTD_SOCK" --namespace "$CTD_NS" task kill -s KILL "$t" > /dev/null 2>&1
      timeout 10 ctr --address "$CTD_SOCK" --namespace "$CTD_NS" task delete -f "$t" > /dev/null 2>&1
    done
    for t in $(ctr_ container ls -q 2>/dev/null); do
      timeout 10 ctr --address "$CTD_SOCK" --namespace "$CTD_NS" container rm "$t" > /dev/null 2>&1
    done
    sleep 0.2
  fi
  ctd_stop
  # Shims exit after their last task is deleted; give them a moment before calling it a leak.
  local i
  for i in $(seq 1 40); do [ -z "$(_ctd_our_pids)" ] && break; sleep 0.05; done
  leaks=$(ctd_leaks)
  local p
  for p in $(_ctd_our_pids | sort -u); do kill -KILL "$p" 2>/dev/null; done
  sleep 0.1
  _ctd_our_mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  _ctd_our_cgroups | while read -r c; do rmdir "$c" 2>/dev/null; done
  _ctd_ns_cgroups | while read -r c; do rmdir "$c" 2>/dev/null; done
  _ctd_our_sockets | while read -r s; do rm -f "$s"; done
  if [ -n "$leaks" ]; then
    local saved="/tmp/$(basename "$CTD_DIR").containerd.log"
    cp "$CTD_LOG" "$saved" 2>/dev/null
    echo "e2e: LEAKS after teardown (containerd log kept in $saved):" >&2
    echo "$leaks" | sed 's/^/  /' >&2
  fi
  rm -rf "$CTD_DIR" 2>/dev/null || { sleep 0.5; rm -rf "$CTD_DIR"; }
  [ -d "$CTD_DIR" ] && { echo "e2e: LEAK: could not remove $CTD_DIR" >&2; leaks=1; }
  CTD_DIR=
  [ -z "$leaks" ]
}

# Tear down what a test killed with SIGKILL (no EXIT trap ran) left: `ctd_cleanup_dir /tmp/ctd.XXXXXX`.
# Run it in a subshell (it exits through ctd_fail on bad input); prints the leaks it removed.
ctd_cleanup_dir() {
  [ -f "${1:?ctd_cleanup_dir DIR}/config.toml" ] || ctd_fail "$1 is not a harness dir"
  CTD_DIR=$(cd "$1" && pwd); CTD_SOCK=$CTD_DIR/c.sock; CTD_LOG=$CTD_DIR/containerd.log
  CTD_NS=e2e$(basename "$CTD_DIR" | cut -d. -f2 | tr 'A-Z' 'a-z')
  local p
  for p in $(pgrep -f -- "--config $CTD_DIR/config.toml") $(pgrep -f -- "--address $CTD_SOCK events"); do
    kill "$p" 2>/dev/null
  done
  CTD_PID=; CTD_EVENTS_PID=
  ctd_cleanup
}

_ctd_exit_trap() {
  local rc=$?
  if [ "$rc" != 0 ] && [ -n "${CTD_LOG:-}" ] && [ -f "$CTD_LOG" ]; then
    echo "--- last containerd log lines ($CTD_LOG) ---" >&2
    grep -vE 'level=debug|msg="(loading plugin|skip loading plugin)' "$CTD_LOG" | tail -15 >&2
  fi
  ctd_cleanup || rc=1
  exit "$rc"
}
