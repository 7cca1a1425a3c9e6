# (f) containerd restarted while a spin task runs: the shim keeps serving, containerd reconnects through
# the bundle's address file — the task is RUNNING again, answers HTTP, and can be killed and deleted.
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
ex=$E2E_BUILD/examples
mkdir -p "$E2E_WORK/app" && cp "$ex/spin.toml" "$ex/hello_wagi.wasm" "$E2E_WORK/app/" || ctd_fail "examples not built"
e2e_image e2e-spin:1 "$E2E_WORK/app"
port=$(ctd_free_port)
ctr_ run -d --net-host --runtime io.containerd.spin.v1 --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$port \
  e2e-spin:1 r1 || ctd_fail "ctr run -d spin"
e2e_wait_http "http://127.0.0.1:$port/hello" 100 > /dev/null || ctd_fail "no HTTP answer before the restart"
ctd_restart
e2e_wait_status r1 RUNNING 50 || ctd_fail "after restart: r1 not RUNNING: $(ctr_ task ls 2>&1)"
body=$(e2e_wait_http "http://127.0.0.1:$port/hello" 50) || ctd_fail "no HTTP answer after the restart"
e2e_expect_eq "GET /hello after restart" hello "$(printf '%s' "$body" | tr -d '\r\n')"
ctr_ task kill r1 || ctd_fail "kill after restart"
e2e_wait_status r1 STOPPED 100 || ctd_fail "r1 not STOPPED after SIGTERM: $(ctr_ task ls)"
ctr_ task delete r1 || ctd_fail "ctr task delete r1"
e2e_expect_eq "exit status after SIGTERM (/tasks/exit event)" 0 "$(e2e_exit_status r1)"
ctr_ container rm r1 || ctd_fail "container rm r1"
echo "e2e.restart: OK"
