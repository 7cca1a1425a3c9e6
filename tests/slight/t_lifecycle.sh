# Both lifecycles: the v0.5 app (a reactor exporting on-server-init, specversion 0.2) serves the same
# routes as the v0.3 one (_start); a failing serve ends each with exit status 1 and the reason:
# on-server-init's err(string), or main's non-zero return.
. "$(dirname "$0")/lib.sh" "$@"
app5=$SLIGHT_TMP/app5
slight_app hello_slight_v05 "$app5"
slight_start "$app5"
resp=$(curl -s -i --max-time 10 -H 'X-V05: yes' "http://127.0.0.1:$SLIGHT_PORT/hello") || fail "curl /hello"
printf '%s' "$resp" | tr -d '\r' | grep -q '^x-v05: yes$' || fail "v0.5 hello did not echo headers: $resp"
expect_eq "v0.5 GET /hello" "200 hello" "$(http GET /hello)"
expect_eq "v0.5 GET /params/x" "200 x" "$(http GET /params/x)"
slight_stop TERM

# serve on an address that cannot be bound -> on-server-init returns err(...)
rc=0
HELLO_SLIGHT_ADDRESS=203.0.113.1:1 timeout 20 "$WASIPOOL" slight -c "$app5/slightfile.toml" run "$app5/app.wasm" \
  > "$SLIGHT_TMP/o" 2> "$SLIGHT_TMP/e" || rc=$?
expect_eq "v0.5 exit status on a failing serve" 1 "$rc"
grep -q 'on-server-init failed: server::serve(203.0.113.1:1) failed' "$SLIGHT_TMP/e" || fail "v0.5 error text: $(cat "$SLIGHT_TMP/e")"

app3=$SLIGHT_TMP/app3
slight_app hello_slight "$app3"
rc=0
HELLO_SLIGHT_ADDRESS=no-port-here timeout 20 "$WASIPOOL" slight -c "$app3/slightfile.toml" run "$app3/app.wasm" \
  > "$SLIGHT_TMP/o" 2> "$SLIGHT_TMP/e" || rc=$?
expect_eq "v0.3 exit status when main fails" 1 "$rc"
grep -q "hello-slight: server::serve(no-port-here) failed: address 'no-port-here' has no port" "$SLIGHT_TMP/e" || fail "v0.3 error text: $(cat "$SLIGHT_TMP/e")"

# A v0.5 module run with a 0.1 slightfile without http: it has no _start -> load error.
cat > "$app5/slightfile.toml" <<'T'
specversion = "0.1"
[[capability]]
name = "kv.filesystem"
[[capability]]
name = "configs.envvars"
T
rc=0
timeout 20 "$WASIPOOL" slight -c "$app5/slightfile.toml" run "$app5/app.wasm" > "$SLIGHT_TMP/o" 2> "$SLIGHT_TMP/e" || rc=$?
# It imports http-server: rejected at load, before anything runs.
expect_eq "v0.5 module without http capability" 1 "$rc"
grep -q 'declares no http capability' "$SLIGHT_TMP/e" || fail "missing http capability text: $(cat "$SLIGHT_TMP/e")"
echo "slight.lifecycle: OK"
