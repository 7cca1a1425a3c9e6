# (c) A guest that exceeds the container's memory limit (`ctr run --memory-limit`, i.e. the spec's
# linux.resources.memory.limit) is OOM-killed: ctr run exits 137 and containerd sees a /tasks/oom event.
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
e2e_app e2e_eat_memory
e2e_image e2e-oom:1 "$E2E_WORK/app"
out=$(ctr_ run --rm --runtime io.containerd.wasm.v1 --memory-limit $((48 << 20)) e2e-oom:1 o1 2>&1)
rc=$?
echo "$out" | tail -3
e2e_expect_eq "exit code of an OOM-killed guest" 137 "$rc"
sleep 0.2
grep -q "/tasks/oom .*\"o1\"" "$CTD_DIR/events.log" || ctd_fail "no /tasks/oom event for o1: $(cat "$CTD_DIR/events.log")"
echo "e2e.oom: OK"
