#!/bin/bash
# `wasipool node` through the real CLI, on temp dirs: node_test.sh WASIPOOL FIXTURES_DIR CASE.
# Every case installs into a private bin dir and config; nothing touches /etc/containerd or /usr/local/bin.
set -u
WASIPOOL=$1
FIX=$2
CASE=$3
T=$(mktemp -d /tmp/wasipool-node.XXXXXX)
BIN=$T/bin
CFG=$T/etc/containerd/config.toml
mkdir -p "$BIN" "$T/etc/containerd"
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
wp() { "$WASIPOOL" node "$@"; }
# Runs `wasipool node ARGS`, keeps its output in $T/out, fails on a non-zero exit.
ok() { wp "$@" >"$T/out" 2>&1 || { cat "$T/out"; fail "wasipool node $* exited $?"; }; cat "$T/out"; }
expect_out() { grep -qF -- "$1" "$T/out" || fail "output lacks '$1'"; }
# diff ORIG NEW may only show added lines: nothing of the original is removed or changed.
# (An original whose last line has no newline gets one: the only byte install may add to an existing line.)
only_additions() {
  cp "$1" "$T/orig.nl"
  [ -s "$1" ] && [ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" != '\n' ] && echo >>"$T/orig.nl"
  diff "$T/orig.nl" "$2" >"$T/diff"
  grep -q '^[<]' "$T/diff" && { cat "$T/diff"; fail "$2 changed or removed lines of the original"; }
  grep -q '^>' "$T/diff" || fail "$2 has no added lines"
  return 0
}
# The config registers HANDLER with runtime_type io.containerd.HANDLER.v1 under SECTION (as containerd
# reads it: checked with `containerd config dump` for versions 1 and 2, by text for version 3).
has_runtime() { # SECTION HANDLER FILE
  grep -qF "[$1.$2]" "$3" || fail "$3 lacks [$1.$2]"
  grep -qF "runtime_type = \"io.containerd.$2.v1\"" "$3" || fail "$3 lacks runtime_type io.containerd.$2.v1"
}
dump_has_runtimes() { # FILE: containerd 1.6 itself reads our runtimes from FILE
  containerd --config "$1" config dump >"$T/dump" 2>"$T/dump.err" || { cat "$T/dump.err"; fail "config dump of $1"; }
  for h in spin slight wasm; do
    awk -v h="$h" '
      index($0, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes." h "]") { inside = 1; next }
      /^ *\[/ { inside = 0 }
      inside && $0 ~ "runtime_type = \"io.containerd." h ".v1\"" { found = 1 }
      END { exit !found }' "$T/dump" || fail "containerd config dump of $1 lacks runtime $h"
  done
  # containerd 1.x replaces its built-in runtimes with the file's table: runc must still be there, or the
  # CRI plugin refuses to load (default_runtime_name = "runc")
  grep -qF '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]' "$T/dump" || fail "runc runtime lost in $1"
}
bin_installed() {
  cmp -s "$BIN/wasipool" "$WASIPOOL" || fail "$BIN/wasipool is not the built binary"
  cmp -s "$BIN/wasipool-shim" "$(dirname "$WASIPOOL")/wasipool-shim" || fail "$BIN/wasipool-shim is not the built shim"
  [ -x "$BIN/wasipool" ] && [ -x "$BIN/wasipool-shim" ] || fail "$BIN/wasipool or wasipool-shim not executable"
  for x in spin slight wasm; do
    [ "$(readlink "$BIN/containerd-shim-$x-v1")" = wasipool-shim ] || fail "containerd-shim-$x-v1 is not a symlink to wasipool-shim"
  done
}
bin_empty() { [ -z "$(ls -A "$BIN")" ] || { ls -la "$BIN"; fail "$BIN not empty"; }; }
V2='plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
V3='plugins."io.containerd.cri.v1.runtime".containerd.runtimes'

# install, second install, uninstall on a copy of FIXTURE; SECTION is where the runtimes must appear.
round_trip() { # FIXTURE SECTION [extra install args]
  local fixture=$1 section=$2
  shift 2
  cp "$fixture" "$CFG"
  cp "$fixture" "$T/orig"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart "$@"
  bin_installed
  only_additions "$T/orig" "$CFG"
  for h in spin slight wasm; do has_runtime "$section" "$h" "$CFG"; done
  cmp "$CFG.wasipool-backup" "$T/orig" || fail "backup differs from the original"
  cp "$CFG" "$T/after1"
  touch -d '2000-01-01' "$CFG.wasipool-backup"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart "$@"
  expect_out "already installed"
  cmp "$CFG" "$T/after1" || fail "second install changed the config"
  [ "$(stat -c %Y "$CFG.wasipool-backup")" = "$(date -d 2000-01-01 +%s)" ] || fail "second install rewrote the backup"
  ok uninstall --bin-dir "$BIN" --config "$CFG" --no-restart
  cmp "$CFG" "$T/orig" || fail "uninstall did not restore the original byte for byte"
  [ ! -e "$CFG.wasipool-backup" ] || fail "backup left after uninstall"
  bin_empty
}

case "$CASE" in
v2_commented)  # containerd 1.6 config, comments and unrelated tables
  round_trip "$FIX/containerd-1.6.toml" "$V2"
  cp "$FIX/containerd-1.6.toml" "$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  dump_has_runtimes "$CFG"
  # containerd 1.6 still runs runc from this config: the edit kept the runc runtime and its options
  grep -q 'SystemdCgroup = true' "$T/dump" || fail "runc options lost"
  ;;
debian)  # the config Debian 12's containerd package ships: no runtimes table, so runc must be restated
  round_trip "$FIX/debian-bookworm.toml" "$V2"
  cp "$FIX/debian-bookworm.toml" "$CFG"; ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  grep -qF "[$V2.runc]" "$CFG" && grep -qF 'runtime_type = "io.containerd.runc.v2"' "$CFG" || fail "runc not restated"
  dump_has_runtimes "$CFG"
  # the installed binary installing itself again: nothing to copy, nothing changed
  "$BIN/wasipool" node install --bin-dir "$BIN" --config "$CFG" --no-restart >"$T/out" 2>&1 || fail "self-install"
  expect_out "already installed"
  ;;
config_default)  # `containerd config default` (the full default config, runc with options) as the original
  containerd config default >"$T/default.toml" || fail "containerd config default"
  round_trip "$T/default.toml" "$V2"
  cp "$T/default.toml" "$CFG"; ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  ! grep -q 'restated the built-in runtime' "$T/out" || fail "runc restated although the config defines it"
  dump_has_runtimes "$CFG"
  ;;
v3)  # containerd 2.x config (version = 3): the io.containerd.cri.v1.runtime section
  round_trip "$FIX/containerd-2.0.toml" "$V3"
  ! grep -q 'io.containerd.grpc.v1.cri' "$FIX/containerd-2.0.toml" || fail "fixture"
  cp "$FIX/containerd-2.0.toml" "$CFG"; ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  ! grep -q 'io.containerd.grpc.v1.cri' "$CFG" || fail "a version 3 config got the 1.x section"
  ;;
empty)  # empty file: version = 2 (containerd here is 1.6) + the runtimes; uninstall leaves it empty
  : >"$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  grep -qx 'version = 2' "$CFG" || fail "no version = 2"
  for h in spin slight wasm; do has_runtime "$V2" "$h" "$CFG"; done
  dump_has_runtimes "$CFG"
  ok uninstall --bin-dir "$BIN" --config "$CFG" --no-restart
  [ -f "$CFG" ] && [ ! -s "$CFG" ] || fail "uninstall did not restore the empty file"
  ;;
empty_v3)  # --config-version 3 for a new config: the 2.x section
  : >"$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart --config-version 3
  grep -qx 'version = 3' "$CFG" || fail "no version = 3"
  for h in spin slight wasm; do has_runtime "$V3" "$h" "$CFG"; done
  ;;
detect_2x)  # a containerd that reports 2.x (a script standing in for `containerd --version` only)
  printf '#!/bin/sh\necho "containerd github.com/containerd/containerd/v2 v2.0.2 c507a0257ea6462fbd6f5ba4f5c74facb04021f4"\n' >"$T/containerd"
  chmod +x "$T/containerd"
  rm -f "$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart --containerd "$T/containerd"
  expect_out "containerd v2.0.2"
  grep -qx 'version = 3' "$CFG" || fail "containerd 2.x: new config must be version 3"
  for h in spin slight wasm; do has_runtime "$V3" "$h" "$CFG"; done
  # a non-empty config without `version` is version 1, which 2.x does not read: refuse
  printf '[grpc]\n  address = "/x.sock"\n' >"$T/v1.toml"; cp "$T/v1.toml" "$T/v1.orig"
  wp install --bin-dir "$BIN" --config "$T/v1.toml" --no-restart --containerd "$T/containerd" >"$T/out" 2>&1 && fail "v1 config with containerd 2.x accepted"
  expect_out "no longer reads"; cmp "$T/v1.toml" "$T/v1.orig" || fail "changed"
  ;;
v1_unversioned)  # containerd 1.6 reads a file without `version` as version 1: plugins.cri
  printf '# old style\n[plugins.cri]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n' >"$T/f"
  round_trip "$T/f" 'plugins.cri.containerd.runtimes'
  cp "$T/f" "$CFG"; ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  dump_has_runtimes "$CFG"
  ;;
missing)  # no config at all, in a directory that does not exist yet
  CFG=$T/etc2/containerd/config.toml
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  expect_out "created $CFG"
  for h in spin slight wasm; do has_runtime "$V2" "$h" "$CFG"; done
  dump_has_runtimes "$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  expect_out "already installed"
  ok uninstall --bin-dir "$BIN" --config "$CFG" --no-restart
  [ ! -e "$CFG" ] || fail "uninstall left the config install created"
  [ ! -e "$CFG.wasipool-created" ] || fail "marker left"
  bin_empty
  ;;
partial)  # spin's table exists without runtime_type (header mid-file, last line without newline)
  round_trip "$FIX/partial.toml" "$V2"
  cp "$FIX/partial.toml" "$CFG"; ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  # the key went into the existing table, right after its header
  grep -A1 -F "[$V2.spin]" "$CFG" | grep -q 'runtime_type = "io.containerd.spin.v1"' || fail "not inserted after the header"
  [ "$(grep -cF "[$V2.spin]" "$CFG")" = 1 ] || fail "spin table defined twice"
  dump_has_runtimes "$CFG"
  ;;
crlf)  # comment-only CRLF file: still CRLF after install, and restored exactly
  round_trip "$FIX/comments-crlf.toml" "$V2"
  cp "$FIX/comments-crlf.toml" "$CFG"; ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  [ "$(grep -c $'\r$' "$CFG")" = "$(wc -l <"$CFG")" ] || fail "mixed line endings"
  ;;
bad_toml)  # invalid TOML: error with file:line, nothing changed anywhere
  cp "$FIX/bad.toml" "$CFG"
  wp install --bin-dir "$BIN" --config "$CFG" --no-restart >"$T/out" 2>&1 && fail "bad TOML accepted"
  cat "$T/out"
  expect_out "$CFG:5:"
  expect_out "nothing changed"
  cmp "$CFG" "$FIX/bad.toml" || fail "bad config was modified"
  [ ! -e "$CFG.wasipool-backup" ] || fail "backup written for a refused install"
  bin_empty
  ;;
taken)  # handler spin already runs another shim (io.containerd.spin.v2): refuse, change nothing
  cp "$FIX/taken.toml" "$CFG"
  wp install --bin-dir "$BIN" --config "$CFG" --no-restart >"$T/out" 2>&1 && fail "took over handler spin"
  cat "$T/out"
  expect_out "$CFG:4: handler \`spin\` is already registered with runtime_type \"io.containerd.spin.v2\""
  cmp "$CFG" "$FIX/taken.toml" || fail "modified"
  bin_empty
  ;;
old_layout)  # the one-binary layout of earlier builds (shim names -> wasipool): ours, relinked to wasipool-shim
  cp "$WASIPOOL" "$BIN/wasipool"
  for x in spin slight wasm; do ln -s wasipool "$BIN/containerd-shim-$x-v1"; done
  cp "$FIX/containerd-1.6.toml" "$CFG"
  wp status --bin-dir "$BIN" --config "$CFG" --no-dump >"$T/out" 2>&1 && fail "status 0 for the earlier layout"
  expect_out "-> wasipool (earlier layout: will point at wasipool-shim)"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  expect_out "installed $BIN/wasipool-shim"
  expect_out "linked $BIN/containerd-shim-spin-v1 -> wasipool-shim"
  bin_installed
  ok uninstall --bin-dir "$BIN" --config "$CFG" --no-restart
  bin_empty
  ;;
foreign_shim)  # another product's containerd-shim-spin-v1 in the bin dir: refuse unless --force
  printf '#!/bin/sh\nexit 0\n' >"$BIN/containerd-shim-spin-v1"; chmod +x "$BIN/containerd-shim-spin-v1"
  cp "$FIX/containerd-1.6.toml" "$CFG"
  wp install --bin-dir "$BIN" --config "$CFG" --no-restart >"$T/out" 2>&1 && fail "replaced a foreign shim"
  cat "$T/out"; expect_out "containerd-shim-spin-v1: NOT OURS"
  cmp "$CFG" "$FIX/containerd-1.6.toml" || fail "config modified on refusal"
  [ ! -e "$BIN/wasipool" ] && [ ! -e "$BIN/wasipool-shim" ] || fail "binary installed on refusal"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart --force
  bin_installed
  ;;
edited_since)  # the operator edits the config after install: uninstall refuses to lose that edit
  cp "$FIX/containerd-1.6.toml" "$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  printf '[metrics]\n  address = "127.0.0.1:1338"\n' >>"$CFG"; cp "$CFG" "$T/edited"
  wp uninstall --bin-dir "$BIN" --config "$CFG" --no-restart >"$T/out" 2>&1 && fail "uninstall dropped a later edit"
  cat "$T/out"; expect_out "changed since install"
  cmp "$CFG" "$T/edited" || fail "modified on refusal"
  ok uninstall --bin-dir "$BIN" --config "$CFG" --no-restart --force
  cmp "$CFG" "$FIX/containerd-1.6.toml" || fail "--force did not restore the backup"
  ;;
dry_run)
  cp "$FIX/containerd-1.6.toml" "$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --dry-run
  expect_out "+ [$V2.slight]"
  expect_out "would install $BIN/containerd-shim-wasm-v1"
  cmp "$CFG" "$FIX/containerd-1.6.toml" || fail "dry run changed the config"
  bin_empty
  ;;
status)  # before: NOT installed (exit 1); after: installed, each runtime resolves to our bin dir
  cp "$FIX/containerd-1.6.toml" "$CFG"
  wp status --bin-dir "$BIN" --config "$CFG" --path "$BIN:/usr/bin:/bin" >"$T/out" 2>&1 && { cat "$T/out"; fail "status 0 before install"; }
  cat "$T/out"
  expect_out "status: NOT installed"
  expect_out "spin    runtime_type io.containerd.spin.v1    NOT registered"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart
  ok status --bin-dir "$BIN" --config "$CFG" --path "$BIN:/usr/bin:/bin"
  expect_out "status: installed"
  expect_out "same binary as this one"
  for x in spin slight wasm; do
    grep -qE "^  io.containerd.$x.v1 +-> $BIN/containerd-shim-$x-v1 \(wasipool\)\$" "$T/out" || fail "resolution of $x"
    grep -qE "^  $x +runtime_type = \"io.containerd.$x.v1\"\$" "$T/out" || fail "config dump line for $x"
  done
  expect_out "kubernetes.azure.com/wasmtime-spin-v1=true"
  expect_out "kubernetes.azure.com/wasmtime-slight-v1=true"
  expect_out "wasipool.io/runtime-wasm-v1=true"
  # a bin dir that is not on containerd's PATH: containerd would not find the shims
  wp status --bin-dir "$BIN" --config "$CFG" --path /usr/bin:/bin >"$T/out" 2>&1 && fail "status 0 with the bin dir off PATH"
  expect_out "NOT FOUND: containerd's PATH must include $BIN"
  # an earlier directory on PATH with another containerd-shim-spin-v1 shadows ours
  mkdir "$T/other"; printf '#!/bin/sh\n' >"$T/other/containerd-shim-spin-v1"; chmod +x "$T/other/containerd-shim-spin-v1"
  wp status --bin-dir "$BIN" --config "$CFG" --path "$T/other:$BIN" >"$T/out" 2>&1 && fail "status 0 with a shadowing shim"
  expect_out "-> $T/other/containerd-shim-spin-v1 (NOT the one in $BIN: it shadows ours)"
  ;;
restart)  # restart logic: no systemd here -> says what to restart; a systemd host -> systemctl restart
  cp "$FIX/containerd-1.6.toml" "$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --systemctl /nonexistent/systemctl
  expect_out "RESTART containerd yourself so it reads $CFG"
  ok uninstall --bin-dir "$BIN" --config "$CFG" --no-restart
  # A stand-in for systemctl on a systemd host (this machine has no systemd): it records its argv and
  # reports containerd active, so the test sees exactly which commands install runs.
  printf '#!/bin/sh\necho "$*" >>%s/systemctl.log\n[ "$1" = is-active ] && echo active\nexit 0\n' "$T" >"$T/systemctl"
  chmod +x "$T/systemctl"
  ok install --bin-dir "$BIN" --config "$CFG" --systemctl "$T/systemctl"
  expect_out "restarted containerd"
  printf 'is-active containerd\nrestart containerd\n' | cmp - "$T/systemctl.log" || fail "systemctl calls: $(cat "$T/systemctl.log")"
  : >"$T/systemctl.log"
  ok install --bin-dir "$BIN" --config "$CFG" --systemctl "$T/systemctl"
  [ ! -s "$T/systemctl.log" ] || fail "restarted containerd although nothing changed"
  ;;
host_namespaces)  # --host-namespaces (the DaemonSet): PID 1's namespaces joinable -> install runs there;
  # not joinable (this sandbox denies /proc/1/ns) -> refused before any change. Which one applies is
  # decided by the kernel, read here independently of wasipool.
  cp "$FIX/containerd-1.6.toml" "$CFG"
  if readlink /proc/1/ns/mnt >/dev/null 2>&1 && [ "$(readlink /proc/1/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]; then
    ok install --bin-dir "$BIN" --config "$CFG" --no-restart --host-namespaces
    expect_out "containerd $(containerd --version | awk '{print $3}')"
    bin_installed
  else
    wp install --bin-dir "$BIN" --config "$CFG" --no-restart --host-namespaces >"$T/out" 2>&1 && fail "joined namespaces it cannot"
    cat "$T/out"; expect_out "--host-namespaces: "; expect_out "nothing changed"
    cmp "$CFG" "$FIX/containerd-1.6.toml" || fail "config changed"
    bin_empty
  fi
  ;;
labels)  # install/uninstall --kubeconfig --node: the exact kubectl argv (a stand-in kubectl records it;
  # the real one would need an API server, which this machine does not have)
  printf '#!/bin/sh\necho "$*" >>%s/kubectl.log\necho "node/n1 labeled"\n' "$T" >"$T/kubectl"; chmod +x "$T/kubectl"
  cp "$FIX/containerd-1.6.toml" "$CFG"
  ok install --bin-dir "$BIN" --config "$CFG" --no-restart --kubeconfig "$T/kc" --node n1 --kubectl "$T/kubectl"
  expect_out "node/n1 labeled"
  L="kubernetes.azure.com/wasmtime-spin-v1=true kubernetes.azure.com/wasmtime-slight-v1=true wasipool.io/runtime-spin-v1=true wasipool.io/runtime-slight-v1=true wasipool.io/runtime-wasm-v1=true wasipool.io/pool=true"
  echo "--kubeconfig $T/kc label node n1 --overwrite $L" | cmp - "$T/kubectl.log" || fail "kubectl argv: $(cat "$T/kubectl.log")"
  : >"$T/kubectl.log"
  ok uninstall --bin-dir "$BIN" --config "$CFG" --no-restart --kubeconfig "$T/kc" --node n1 --kubectl "$T/kubectl"
  # uninstall removes the runtime labels, keeps the pool label (pool membership is the operator's)
  echo "--kubeconfig $T/kc label node n1 --overwrite kubernetes.azure.com/wasmtime-spin-v1- kubernetes.azure.com/wasmtime-slight-v1- wasipool.io/runtime-spin-v1- wasipool.io/runtime-slight-v1- wasipool.io/runtime-wasm-v1-" | cmp - "$T/kubectl.log" || fail "kubectl argv: $(cat "$T/kubectl.log")"
  # `wasipool node label` without a kubeconfig prints the labels (what deploy_yaml cross-checks)
  wp label >"$T/out" 2>&1; [ $? = 2 ] || fail "label without kubeconfig must exit 2"
  [ "$(grep -c '=true$' "$T/out")" = 6 ] || fail "label list"
  ;;
kubectl_absent)  # labels requested but no kubectl: clear error, nothing installed
  cp "$FIX/containerd-1.6.toml" "$CFG"
  wp install --bin-dir "$BIN" --config "$CFG" --no-restart --kubeconfig "$T/kc" --node n1 --kubectl /nonexistent/kubectl >"$T/out" 2>&1 && fail "no error without kubectl"
  cat "$T/out"; expect_out "kubectl not found"
  cmp "$CFG" "$FIX/containerd-1.6.toml" || fail "config changed"
  bin_empty
  ;;
*) fail "unknown case $CASE" ;;
esac
echo "PASS $CASE"
