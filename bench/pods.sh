#!/usr/bin/env bash
# bench/pods.sh BUILD_DIR — pods per second through a real containerd (owner: oci+e2e).
#
#   rate   `ctr run --rm` of examples/hello.wasm with our runtime (io.containerd.wasm.v1) against the same
#          examples/hello/hello.c as a `gcc -static` binary under runc (io.containerd.runc.v2), PODS_N runs
#          each (default 50), alternating in PODS_ROUNDS rounds (default 2) in the same containerd, after
#          3 warm-up runs each. pods/s = runs / wall seconds; ratio = ours / runc. Sequential, like a
#          node's kubelet creating pods one after another (PODS_PARALLEL>1 runs that many loops at once).
#   CPU    per pod, split by who spends it: the client (ctr, its `timeout` wrapper and the loop's
#          shell, from bash's `times`), containerd (/proc/PID/stat), and the rest of the machine's busy
#          time (/proc/stat): the runtime — shims, workloads or runc, and the kernel work they cause —
#          plus a little background. The client and containerd cost about the same for both runtimes, so
#          they cap the pods/s ratio any runtime can show through `ctr run --rm`; the runtime share is
#          the runtime's own ratio. Both are printed.
#   RSS    PODS_IDLE (default 10) idle spin pods (`ctr run -d`, examples/hello's spin.toml on distinct
#          loopback ports, each answering /hello first); VmRSS and Pss of every shim and every workload
#          process, summed, per pod. Pss splits shared pages (the one static binary's text) fairly.
# A private containerd (tests/e2e/containerd_env.sh) is started and torn down; needs root.
set -u
[[ $# -ge 1 ]] || { echo "usage: bench/pods.sh BUILD_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd) || exit 2
n=${PODS_N:-50}; rounds=${PODS_ROUNDS:-2}; idle=${PODS_IDLE:-10}; par=${PODS_PARALLEL:-1}
. "$here/../tests/e2e/containerd_env.sh"
for f in "$build/wasipool" "$build/examples/hello.wasm" "$build/examples/spin.toml" "$build/examples/hello_wagi.wasm"; do
  [[ -e $f ]] || ctd_fail "missing $f (build first)"
done
command -v gcc > /dev/null || ctd_fail "gcc is needed for the native static hello"
ctd_start "$build"
w=$CTD_DIR/work; mkdir -p "$w/wasm" "$w/native" "$w/spin"

cp "$build/examples/hello.wasm" "$w/wasm/"
gcc -O2 -static -o "$w/native/hello" "$here/../examples/hello/hello.c" || ctd_fail "gcc -static"
cp "$build/examples/spin.toml" "$build/examples/hello_wagi.wasm" "$w/spin/"
img() {  # img REF DIR OPTIONS...
  local ref=$1 dir=$2; shift 2
  "$build/wasipool" image build "$dir" -t "$ref" -o "$w/$ref.tar" "$@" > /dev/null || ctd_fail "image build $ref"
  ctr_ image import "$w/$ref.tar" > /dev/null || ctd_fail "import $ref"
}
img pods-wasm:1 "$w/wasm"
img pods-native:1 "$w/native" --platform linux/amd64 --entrypoint /hello
img pods-spin:1 "$w/spin"

# Both must print the same greeting, or the comparison is meaningless.
a=$(ctr_ run --rm --runtime io.containerd.wasm.v1 pods-wasm:1 check-w) || ctd_fail "wasm hello failed: $a"
b=$(ctr_ run --rm --runtime io.containerd.runc.v2 pods-native:1 check-n) || ctd_fail "native hello failed: $b"
[[ $a == "$b" ]] || ctd_fail "outputs differ: '$a' vs '$b'"

seq_runs() {  # seq_runs RUNTIME IMAGE PREFIX COUNT
  local i
  for i in $(seq 1 "$4"); do
    ctr_ run --rm --runtime "$1" "$2" "$3-$i" > /dev/null 2>&1 || { echo "run $3-$i failed" >&2; return 1; }
  done
}
hz=$(getconf CLK_TCK)
busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }  # user nice system irq softirq steal
proc_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }  # utime + stime
cpu_w=(0 0 0 0) cpu_n=(0 0 0 0)  # seconds: total busy, client, containerd, harness (the events monitor)
batch() {  # batch RUNTIME IMAGE PREFIX W|N -> prints seconds for n runs (par loops of n/par); adds to cpu_W/N
  local t0 t1 p pids=() b0 b1 c0 c1 e0 e1 client=0
  b0=$(busy_ticks); c0=$(proc_ticks "$CTD_PID"); e0=$(proc_ticks "$CTD_EVENTS_PID")
  t0=$(date +%s.%N)
  for p in $(seq 1 "$par"); do
    # `times` in the loop's subshell: its own CPU, then its children's (every ctr and timeout it ran).
    ( seq_runs "$1" "$2" "$3-$p" $((n / par)) || exit 1; times > "$CTD_DIR/times.$p" ) & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || ctd_fail "a $1 run failed"; done
  t1=$(date +%s.%N)
  b1=$(busy_ticks); c1=$(proc_ticks "$CTD_PID"); e1=$(proc_ticks "$CTD_EVENTS_PID")
  for p in $(seq 1 "$par"); do
    client=$(awk -v c="$client" '{ gsub(/s/, ""); split($1, a, "m"); split($2, b, "m"); c += a[1] * 60 + a[2] + b[1] * 60 + b[2] } END { print c }' "$CTD_DIR/times.$p")
  done
  local -n acc=cpu_$4
  acc=($(awk -v a="${acc[0]}" -v b="${acc[1]}" -v c="${acc[2]}" -v d="${acc[3]}" -v hz="$hz" \
           -v bt=$((b1 - b0)) -v cl="$client" -v ct=$((c1 - c0)) -v et=$((e1 - e0)) \
           'BEGIN { print a + bt / hz, b + cl, c + ct / hz, d + et / hz }'))
  echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}
seq_runs io.containerd.wasm.v1 pods-wasm:1 warm-w 3 || ctd_fail "warm-up (wasm)"
seq_runs io.containerd.runc.v2 pods-native:1 warm-n 3 || ctd_fail "warm-up (runc)"
tw=0; tn=0
for r in $(seq 1 "$rounds"); do
  batch io.containerd.wasm.v1 pods-wasm:1 bw$r w > "$CTD_DIR/secs"; tw=$(awk -v t="$tw" '{ print t + $1 }' "$CTD_DIR/secs")
  batch io.containerd.runc.v2 pods-native:1 bn$r n > "$CTD_DIR/secs"; tn=$(awk -v t="$tn" '{ print t + $1 }' "$CTD_DIR/secs")
done
total=$(( (n / par) * par * rounds ))
echo "pods: $total ctr run --rm each, parallel $par"
awk -v t="$total" -v w="$tw" -v r="$tn" 'BEGIN {
  printf "  wasipool (io.containerd.wasm.v1, hello.wasm): %6.1f pods/s  (%.1f ms/pod)\n", t / w, 1000 * w / t
  printf "  runc     (io.containerd.runc.v2, hello -static): %6.1f pods/s  (%.1f ms/pod)\n", t / r, 1000 * r / t
  printf "  ratio wasipool/runc: %.2fx\n", r / w }'
# CPU per pod (ms): total busy, client, containerd, harness, and the rest = the runtime's share.
awk -v t="$total" -v w="${cpu_w[*]}" -v r="${cpu_n[*]}" 'BEGIN {
  split(w, W, " "); split(r, R, " ")
  wr = W[1] - W[2] - W[3] - W[4]; rr = R[1] - R[2] - R[3] - R[4]
  printf "  CPU per pod (ms)  total  client(ctr)  containerd  runtime(rest)\n"
  printf "    wasipool       %6.1f  %11.1f  %10.1f  %13.1f\n", 1000 * W[1] / t, 1000 * W[2] / t, 1000 * W[3] / t, 1000 * wr / t
  printf "    runc           %6.1f  %11.1f  %10.1f  %13.1f\n", 1000 * R[1] / t, 1000 * R[2] / t, 1000 * R[3] / t, 1000 * rr / t
  if (wr > 0) printf "  runtime-only CPU ratio runc/wasipool: %.2fx\n", rr / wr
  if (W[1] - wr > 0) printf "  ceiling through ctr (CPU-bound, if our runtime cost nothing): %.2fx\n", R[1] / (W[1] - wr) }'

# Where a pod's time goes, from containerd's own event timestamps (median ms over the measured runs):
# create = snapshot + shim start + Create, start = Start RPC, run = the workload, delete = Delete, rm = the
# rest (shim shutdown, snapshot and container removal). ctr's own start-up and image lookup come before.
phases() {  # phases ID-PREFIX
  awk -v pre="$1" '
    { split($2, t, ":"); ts = t[1] * 3600 + t[2] * 60 + t[3]
      if (!match($0, /"(container_id|id)":"[^"]+"/)) next
      id = substr($0, RSTART, RLENGTH); sub(/^"[a-z_]+":"/, "", id); sub(/"$/, "", id)
      if (index(id, pre) != 1) next
      if (!((id SUBSEP $6) in seen)) seen[id SUBSEP $6] = ts
      ids[id] = 1 }
    function med(a, n,   i, j, x) { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
                                    return n ? a[int((n + 1) / 2)] : 0 }
    END { split("/containers/create /tasks/create /tasks/start /tasks/exit /tasks/delete /containers/delete", ph, " ")
          split("create start run delete rm", nm, " ")
          for (k = 1; k <= 5; k++) { n = 0; delete v
            for (id in ids) if ((id SUBSEP ph[k]) in seen && (id SUBSEP ph[k + 1]) in seen)
              v[++n] = 1000 * (seen[id SUBSEP ph[k + 1]] - seen[id SUBSEP ph[k]])
            printf "%s %.1f  ", nm[k], med(v, n) }
          printf "(ms, median)\n" }' "$CTD_DIR/events.log"
}
echo "  phases wasipool: $(phases bw)"
echo "  phases runc:     $(phases bn)"

# Idle spin pods.
ports=()
for i in $(seq 1 "$idle"); do
  port=$(ctd_free_port); ports+=("$port")
  ctr_ run -d --net-host --runtime io.containerd.spin.v1 --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$port \
    pods-spin:1 idle-$i > /dev/null || ctd_fail "spin pod $i"
done
for port in "${ports[@]}"; do
  ok=0
  for t in $(seq 1 100); do curl -sf --max-time 2 "http://127.0.0.1:$port/hello" > /dev/null && { ok=1; break; }; sleep 0.1; done
  [[ $ok == 1 ]] || ctd_fail "idle pod on port $port never answered"
done
sleep 1
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "$1" 2>/dev/null; }
shim_rss=0 shim_pss=0 work_rss=0 work_pss=0 shims=0 works=0
for p in $(_ctd_our_pids | sort -u); do
  [[ $p == "${CTD_PID:-}" || $p == "${CTD_EVENTS_PID:-}" ]] && continue
  rss=$(kib /proc/$p/status VmRSS); pss=$(kib /proc/$p/smaps_rollup Pss)
  [[ -n $rss ]] || continue
  cmd=$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)
  if [[ $cmd == *containerd-shim-* ]]; then
    shim_rss=$((shim_rss + rss)); shim_pss=$((shim_pss + ${pss:-0})); shims=$((shims + 1))
  else
    work_rss=$((work_rss + rss)); work_pss=$((work_pss + ${pss:-0})); works=$((works + 1))
  fi
done
echo "idle spin pods: $idle ($shims shim processes, $works workload processes)"
awk -v k="$idle" -v sr="$shim_rss" -v sp="$shim_pss" -v wr="$work_rss" -v wp="$work_pss" 'BEGIN {
  printf "  per pod: shim VmRSS %.2f MiB Pss %.2f MiB; workload VmRSS %.2f MiB Pss %.2f MiB; total Pss %.2f MiB\n",
    sr / k / 1024, sp / k / 1024, wr / k / 1024, wp / k / 1024, (sp + wp) / k / 1024 }'
for i in $(seq 1 "$idle"); do
  ctr_ task kill -s SIGKILL idle-$i > /dev/null 2>&1
done
sleep 0.5
for i in $(seq 1 "$idle"); do
  ctr_ task delete idle-$i > /dev/null 2>&1; ctr_ container rm idle-$i > /dev/null 2>&1
done
