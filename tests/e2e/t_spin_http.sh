# (b) The seed's flow at containerd level: examples/hello packaged with `wasipool image build` (spin.toml
# at the image root), imported with a plain `ctr image import`, run with the spin runtime and host
# networking, answering `curl 127.0.0.1:PORT/hello` with hello; then `ctr task kill` (SIGTERM) lets it
# drain and exit 0, and the task and container delete cleanly.
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
ex=$E2E_BUILD/examples
[ -f "$ex/spin.toml" ] && [ -f "$ex/hello_wagi.wasm" ] || ctd_fail "examples not built ($ex/spin.toml, hello_wagi.wasm)"
mkdir -p "$E2E_WORK/app" && cp "$ex/spin.toml" "$ex/hello_wagi.wasm" "$E2E_WORK/app/"
e2e_image e2e-spin:1 "$E2E_WORK/app"
port=$(ctd_free_port)
ctr_ run -d --net-host --runtime io.containerd.spin.v1 --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$port \
  e2e-spin:1 s1 || ctd_fail "ctr run -d spin"
body=$(e2e_wait_http "http://127.0.0.1:$port/hello" 100) || ctd_fail "no HTTP answer on 127.0.0.1:$port/hello"
e2e_expect_eq "GET /hello" hello "$(printf '%s' "$body" | tr -d '\r\n')"
ctr_ task kill s1 || ctd_fail "ctr task kill (SIGTERM)"
e2e_wait_status s1 STOPPED 100 || ctd_fail "spin task not STOPPED 10 s after SIGTERM: $(ctr_ task ls)"
ctr_ task delete s1 || ctd_fail "ctr task delete s1"
e2e_expect_eq "exit status after SIGTERM (/tasks/exit event)" 0 "$(e2e_exit_status s1)"
ctr_ container rm s1 || ctd_fail "ctr container rm s1"
[ -z "$(ctr_ task ls -q)" ] || ctd_fail "tasks left: $(ctr_ task ls)"

# The seed's literal form: `ctr run --rm` in the foreground (ctr waits on the server); a SIGTERM through
# `ctr task kill` ends it with status 0 and --rm removes task and container.
port=$(ctd_free_port)
ctr_ run --rm --net-host --runtime io.containerd.spin.v1 --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$port \
  e2e-spin:1 s2 > "$E2E_WORK/s2.out" 2>&1 &
ctr_pid=$!
body=$(e2e_wait_http "http://127.0.0.1:$port/hello" 100) || ctd_fail "foreground run: no HTTP answer"
e2e_expect_eq "GET /hello (ctr run --rm)" hello "$(printf '%s' "$body" | tr -d '\r\n')"
ctr_ task kill s2 || ctd_fail "ctr task kill s2"
wait "$ctr_pid"
e2e_expect_eq "ctr run --rm exit status after SIGTERM" 0 "$?"
[ -z "$(ctr_ container ls -q)" ] || ctd_fail "--rm left containers: $(ctr_ container ls -q)"
echo "e2e.spin_http: OK"
