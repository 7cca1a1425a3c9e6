# (g) Churn: N `ctr run --rm` of a wasm module in a row (E2E_CHURN_N, default 100), every one exiting 3,
# and afterwards no leaked shim or workload process, mount, cgroup or shim socket (counted before/after).
. "$(dirname "$0")/lib.sh" "$@"
n=${E2E_CHURN_N:-100}
e2e_start
e2e_app e2e_echo_exit
e2e_image e2e-churn:1 "$E2E_WORK/app"
before=$(ctd_leak_counts)
for i in $(seq 1 "$n"); do
  ctr_ run --rm --runtime io.containerd.wasm.v1 e2e-churn:1 c$i > "$E2E_WORK/out" 2>&1
  rc=$?
  [ "$rc" = 3 ] || { cat "$E2E_WORK/out" >&2; ctd_fail "run $i of $n exited $rc, expected 3"; }
done
for i in $(seq 1 40); do [ "$(ctd_leak_counts)" = "$before" ] && break; sleep 0.05; done
after=$(ctd_leak_counts)
echo "before: $before  after $n runs: $after"
[ "$after" = "$before" ] || { ctd_leaks >&2; ctd_fail "leaks after $n runs: $after (before: $before)"; }
[ -z "$(ctr_ container ls -q)" ] || ctd_fail "containers left: $(ctr_ container ls -q | head)"
echo "e2e.churn: OK ($n runs)"
