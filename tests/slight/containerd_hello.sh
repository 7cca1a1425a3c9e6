# The seed's hello-slight end to end through containerd: the example app (slightfile.toml + app.wasm at
# the image root) packaged with `wasipool image build`, imported with `ctr image import`, run by the
# slight shim (io.containerd.slight.v1 -> containerd-shim-slight-v1) with host networking; curl /hello
# -> hello, PUT /bar then GET /foo through the filesystem keyvalue store in the container's writable
# rootfs; `ctr task kill` (SIGTERM) drains it to exit 0; task and container delete cleanly. Uses the
# private containerd of tests/e2e (root and containerd required: it FAILS, never skips, without them).
BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
. "$(dirname "$0")/../e2e/lib.sh" "$BUILD" "$BUILD/examples/slight"
e2e_start
src=$BUILD/examples/slight/hello_slight
[ -f "$src/app.wasm" ] && [ -f "$src/slightfile.toml" ] || ctd_fail "example not built ($src)"
app=$E2E_WORK/app
mkdir -p "$app" && cp "$src/app.wasm" "$src/slightfile.toml" "$app/"
e2e_image slight-hello:1 "$app"
port=$(ctd_free_port)
# The app reads its listen address through configs.envvars; the shim hands the container's env over.
ctr_ run -d --net-host --runtime io.containerd.slight.v1 --env HELLO_SLIGHT_ADDRESS=127.0.0.1:$port \
  slight-hello:1 sl1 || ctd_fail "ctr run -d (slight runtime)"
body=$(e2e_wait_http "http://127.0.0.1:$port/hello" 150) || ctd_fail "no HTTP answer on 127.0.0.1:$port/hello: $(ctr_ task ls)"
e2e_expect_eq "GET /hello" hello "$(printf '%s' "$body" | tr -d '\r\n')"
hdr=$(curl -s -i --max-time 5 -H 'X-Through-Containerd: yes' "http://127.0.0.1:$port/hello" | tr -d '\r')
e2e_expect_contains "echoed header" "x-through-containerd: yes" "$hdr"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X PUT --data-binary 'kept in the rootfs' "http://127.0.0.1:$port/bar")
e2e_expect_eq "PUT /bar" 200 "$code"
e2e_expect_eq "GET /foo" "kept in the rootfs" "$(curl -s --max-time 5 "http://127.0.0.1:$port/foo")"
ctr_ task kill sl1 || ctd_fail "ctr task kill (SIGTERM)"
e2e_wait_status sl1 STOPPED 100 || ctd_fail "slight task not STOPPED 10 s after SIGTERM: $(ctr_ task ls)"
ctr_ task delete sl1
rc=$?
e2e_expect_eq "exit status after SIGTERM (ctr task delete)" 0 "$rc"
ctr_ container rm sl1 || ctd_fail "ctr container rm sl1"
[ -z "$(ctr_ task ls -q)" ] || ctd_fail "tasks left: $(ctr_ task ls)"
echo "slight.containerd_hello: OK"
