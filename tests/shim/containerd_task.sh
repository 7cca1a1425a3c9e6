#!/bin/bash
# shim.containerd.task: the Task service under a real (private) containerd 1.6, no image needed:
# `ctr run --rootfs DIR` with a module built by the project. Checks stdout, the exit code, the event order
# (create, start, exit, delete with bare type names), and the RPCs a running task sees from ctr: task ls
# (State), ps (Pids), pause (UNIMPLEMENTED -> "not implemented"), kill (SIGKILL -> 137), kill after exit
# (NOT_FOUND), rm; Exec into a runc-run container and its refusal for a wasm task. The harness (tests/e2e/containerd_env.sh, via lib.sh) fails on any leaked process,
# mount, cgroup or socket. Usage: containerd_task.sh BUILD_DIR GUEST_DIR
. "$(dirname "$0")/../e2e/lib.sh" "$@"
e2e_start
R=$E2E_WORK/rootfs
mkdir -p "$R"
cp "$E2E_GUESTS/exit_with.wasm" "$R/exit_with.wasm"
cp "$E2E_GUESTS/sleep_forever.wasm" "$R/sleep.wasm"

# 1. A module's stdout and exit code through `ctr run --rm`.
out=$(ctr_ run --rm --runtime io.containerd.wasm.v1 --rootfs "$R" r1 /exit_with.wasm 5 from-the-shim)
rc=$?
e2e_expect_eq "exit code" 5 "$rc"
e2e_expect_eq "stdout" "5 from-the-shim" "$(printf '%s' "$out" | tr -d '\r')"
e2e_expect_eq "exit event status" 5 "$(e2e_exit_status r1)"
# Events of r1 in containerd's order (the harness records `ctr events`).
seq=$(grep -E '"container_id":"r1"' "$CTD_DIR/events.log" | awk '{print $6}' | tr '\n' ' ')
e2e_expect_eq "event order" "/tasks/create /tasks/start /tasks/exit /tasks/delete " "$seq"
grep -q 'type=containerd.events.TaskExit' "$CTD_LOG" || ctd_fail "containerd did not log a forwarded containerd.events.TaskExit"

# 2. A running task: State, Pids, Pause, Kill, Kill after exit, Delete.
ctr_ run -d --runtime io.containerd.wasm.v1 --rootfs "$R" r2 /sleep.wasm > /dev/null || ctd_fail "ctr run -d"
e2e_wait_status r2 RUNNING 100 || ctd_fail "r2 never RUNNING: $(ctr_ task ls)"
pid=$(ctr_ task ls | awk '$1 == "r2" { print $2 }')
[ -n "$pid" ] && [ "$pid" -gt 0 ] || ctd_fail "task pid: $(ctr_ task ls)"
ctr_ task ps r2 | grep -qw "$pid" || ctd_fail "task ps does not list $pid: $(ctr_ task ps r2 2>&1)"
msg=$(ctr_ task pause r2 2>&1) && ctd_fail "pause succeeded"
e2e_expect_contains "pause error" "not implemented" "$msg"
ctr_ task kill -s SIGKILL r2 || ctd_fail "kill"
e2e_wait_status r2 STOPPED 100 || ctd_fail "r2 not STOPPED after SIGKILL: $(ctr_ task ls)"
e2e_expect_eq "exit status after SIGKILL" 137 "$(e2e_exit_status r2)"
msg=$(ctr_ task kill -s SIGKILL r2 2>&1) && ctd_fail "kill after exit succeeded"
e2e_expect_contains "kill after exit" "not found" "$msg"
ctr_ task rm r2 > /dev/null || ctd_fail "task rm"
ctr_ container rm r2 || ctd_fail "container rm"

# 3. Exec: into a runc-run container (busybox, ELF entrypoint) it works — exec-added/exec-started, Wait and
#    the exit code of the exec id; into a wasm task it is refused with a clear message.
e2e_busybox_dir "$E2E_WORK/bb"
ctr_ run -d --runtime io.containerd.wasm.v1 --rootfs "$E2E_WORK/bb" r3 /bin/sh -c 'sleep 600' > /dev/null || ctd_fail "ctr run -d busybox"
e2e_wait_status r3 RUNNING 100 || ctd_fail "r3 never RUNNING: $(ctr_ task ls)"
out=$(ctr_ task exec --exec-id e1 r3 /bin/sh -c 'echo exec-out; exit 4')
rc=$?
e2e_expect_eq "exec exit code" 4 "$rc"
e2e_expect_eq "exec stdout" "exec-out" "$(printf '%s' "$out" | tr -d '\r')"
grep -q '/tasks/exec-added .*"exec_id":"e1"' "$CTD_DIR/events.log" || ctd_fail "no /tasks/exec-added for e1"
grep -q '/tasks/exec-started .*"exec_id":"e1"' "$CTD_DIR/events.log" || ctd_fail "no /tasks/exec-started for e1"
ctr_ run -d --runtime io.containerd.wasm.v1 --rootfs "$R" r4 /sleep.wasm > /dev/null || ctd_fail "ctr run -d r4"
e2e_wait_status r4 RUNNING 100 || ctd_fail "r4 never RUNNING"
msg=$(ctr_ task exec --exec-id e2 r4 /sleep.wasm 2>&1) && ctd_fail "exec into a wasm task succeeded"
e2e_expect_contains "wasm exec error" "not supported" "$msg"
for t in r3 r4; do
  ctr_ task kill -s SIGKILL $t || ctd_fail "kill $t"
  e2e_wait_status $t STOPPED 100 || ctd_fail "$t not STOPPED"
  ctr_ task rm $t > /dev/null || ctd_fail "task rm $t"
  ctr_ container rm $t || ctd_fail "container rm $t"
done
echo "shim.containerd.task: OK"
