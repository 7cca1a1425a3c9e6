# (d) `ctr task metrics` on a running wasm task reports the cgroup's memory (> the 8 MiB the guest
# touched) and CPU usage (> 0) — what `kubectl top` reads through CRI.
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
e2e_app e2e_idle
e2e_image e2e-idle:1 "$E2E_WORK/app"
ctr_ run -d --runtime io.containerd.wasm.v1 e2e-idle:1 m1 || ctd_fail "ctr run -d"
e2e_wait_status m1 RUNNING 100 || ctd_fail "m1 not RUNNING: $(ctr_ task ls)"
mem=0 cpu=0
for i in $(seq 1 100); do
  m=$(ctr_ task metrics m1 2>&1)
  # cgroup v1 table rows (memory.usage_in_bytes, cpuacct.usage) or v2 rows (memory.usage, cpu.usage_usec)
  mem=$(printf '%s\n' "$m" | awk '$1 == "memory.usage_in_bytes" || $1 == "memory.usage" { print $2 }')
  cpu=$(printf '%s\n' "$m" | awk '$1 == "cpuacct.usage" || $1 == "cpu.usage_usec" { print $2 }')
  [ "${mem:-0}" -gt $((8 << 20)) ] 2>/dev/null && [ "${cpu:-0}" -gt 0 ] 2>/dev/null && break
  sleep 0.1
done
echo "$m"
[ "${mem:-0}" -gt $((8 << 20)) ] 2>/dev/null || ctd_fail "memory usage '$mem' not above 8 MiB"
[ "${cpu:-0}" -gt 0 ] 2>/dev/null || ctd_fail "cpu usage '$cpu' not above 0"
ctr_ task kill -s SIGKILL m1
e2e_wait_status m1 STOPPED 100 || ctd_fail "m1 not STOPPED after SIGKILL"
ctr_ task delete m1 || ctd_fail "ctr task delete m1"
e2e_expect_eq "exit status after SIGKILL (/tasks/exit event)" 137 "$(e2e_exit_status m1)"
ctr_ container rm m1
echo "e2e.metrics: OK"
