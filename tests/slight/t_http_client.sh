# http-client: an app whose GET /proxy fetches, through http-client::request, the URL held in the
# configs value SLIGHT_TEST_UPSTREAM — here another slight app (hello) on loopback — and returns what
# it got. An unreachable upstream is an http-error (502 here), an https URL is refused (no TLS).
. "$(dirname "$0")/lib.sh" "$@"
up=$SLIGHT_TMP/up
slight_app hello_slight "$up"
slight_start "$up"
up_pid=$SLIGHT_PID up_port=$SLIGHT_PORT
_slight_extra_pids+=("$up_pid")
cl=$SLIGHT_TMP/client
slight_cases_app "$cl"
slight_start "$cl" SLIGHT_TEST_UPSTREAM=http://127.0.0.1:$up_port/hello
expect_eq "GET /proxy -> upstream /hello" "200 hello" "$(http GET /proxy)"
slight_stop TERM
slight_start "$cl" SLIGHT_TEST_UPSTREAM=http://127.0.0.1:$up_port/nowhere
expect_eq "GET /proxy -> upstream 404" 404 "$(http GET /proxy | cut -d' ' -f1)"
slight_stop TERM
slight_start "$cl" SLIGHT_TEST_UPSTREAM=http://127.0.0.1:$(free_port)/hello
expect_eq "GET /proxy -> nothing listening" 502 "$(http GET /proxy | cut -d' ' -f1)"
slight_stop TERM
slight_start "$cl" SLIGHT_TEST_UPSTREAM=https://127.0.0.1:$up_port/hello
expect_contains "https refused" "https is not supported" "$(http GET /proxy)"
slight_stop TERM
# Without the http-client capability the module is rejected at load.
sed -i 's/resource = "http-client"/resource = "keyvalue.filesystem"/' "$cl/slightfile.toml"
slight_load_fails "$cl" 'imports http-client.request, but .* declares no http-client capability'
SLIGHT_PID=$up_pid
slight_stop TERM
echo "slight.http_client: OK"
