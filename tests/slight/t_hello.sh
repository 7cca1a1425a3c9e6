# The seed's hello-slight over HTTP (v0.3 lifecycle: _start's main builds the router and serves):
# GET /hello -> 200 "hello" with the request headers echoed back, path parameters, 404 for unknown
# routes and methods, then SIGTERM -> drained, exit 0 (and SIGINT the same).
. "$(dirname "$0")/lib.sh" "$@"
app=$SLIGHT_TMP/app
slight_app hello_slight "$app"
slight_start "$app"
resp=$(curl -s -i --max-time 10 -H 'X-Hello-Test: abc 123' "http://127.0.0.1:$SLIGHT_PORT/hello") || fail "curl /hello"
status=$(printf '%s' "$resp" | head -1 | awk '{print $2}')
expect_eq "GET /hello status" 200 "$status"
expect_eq "GET /hello body" hello "$(printf '%s' "$resp" | tr -d '\r' | sed -n '/^$/,$p' | tail -n +2)"
printf '%s' "$resp" | tr -d '\r' | grep -qi '^x-hello-test: abc 123$' || fail "request header not echoed: $resp"
printf '%s' "$resp" | tr -d '\r' | grep -qi '^user-agent: curl' || fail "user-agent not echoed: $resp"
expect_eq "GET /params/bob" "200 bob" "$(http GET /params/bob)"
expect_eq "GET /nowhere" 404 "$(http GET /nowhere | cut -d' ' -f1)"
expect_eq "POST /hello (no such route)" 404 "$(http POST /hello | cut -d' ' -f1)"
# Concurrent requests each get their own instance.
pids=()
for i in 1 2 3 4 5 6 7 8; do (http GET /hello > "$SLIGHT_TMP/c$i") & pids+=($!); done
wait "${pids[@]}"
for i in 1 2 3 4 5 6 7 8; do expect_eq "concurrent GET /hello $i" "200 hello" "$(cat "$SLIGHT_TMP/c$i")"; done
slight_stop TERM
slight_start "$app"
expect_eq "GET /hello after restart" "200 hello" "$(http GET /hello)"
slight_stop INT
echo "slight.hello: OK"
