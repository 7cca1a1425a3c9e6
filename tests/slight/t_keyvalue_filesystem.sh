# keyvalue with the filesystem backend (the 0.1 name kv.filesystem): PUT /bar stores, GET /foo reads,
# the value survives stopping and restarting the app, DELETE removes it; the store is a directory
# under the slightfile's directory (.slight/keyvalue/<store>/), one file per key.
. "$(dirname "$0")/lib.sh" "$@"
app=$SLIGHT_TMP/app
slight_app hello_slight "$app"
slight_start "$app"
expect_eq "GET /foo before any PUT" 404 "$(http GET /foo | cut -d' ' -f1)"
expect_eq "PUT /bar" 200 "$(http PUT /bar --data-binary 'persisted value 1' | cut -d' ' -f1)"
expect_eq "GET /foo" "200 persisted value 1" "$(http GET /foo)"
slight_stop TERM
[ -f "$app/.slight/keyvalue/my-container/key" ] || fail "no store file $app/.slight/keyvalue/my-container/key"
expect_eq "file content" "persisted value 1" "$(cat "$app/.slight/keyvalue/my-container/key")"
slight_start "$app"
expect_eq "GET /foo after restart" "200 persisted value 1" "$(http GET /foo)"
expect_eq "DELETE /bar" 200 "$(http DELETE /bar | cut -d' ' -f1)"
expect_eq "GET /foo after DELETE" 404 "$(http GET /foo | cut -d' ' -f1)"
slight_stop TERM
# The v0.5 app (specversion 0.2, keyvalue.filesystem named my-container) with --state-dir.
app5=$SLIGHT_TMP/app5
slight_app hello_slight_v05 "$app5"
state=$SLIGHT_TMP/state
SLIGHT_STATE=$state
start5() {
  SLIGHT_OUT=$SLIGHT_TMP/out5; SLIGHT_ERR=$SLIGHT_TMP/err5
  HELLO_SLIGHT_ADDRESS=127.0.0.1:0 "$WASIPOOL" slight -c "$app5/slightfile.toml" run "$app5/app.wasm" --state-dir "$state" \
    > "$SLIGHT_OUT" 2> "$SLIGHT_ERR" &
  SLIGHT_PID=$!
  for i in $(seq 1 300); do
    line=$(grep -m1 '^Serving http://' "$SLIGHT_OUT" 2>/dev/null) && [ -n "$line" ] && { SLIGHT_PORT=${line##*:}; return 0; }
    sleep 0.05
  done
  fail "v0.5 app did not serve"
}
start5
expect_eq "v0.5 PUT /bar" 200 "$(http PUT /bar --data-binary 'v05 value' | cut -d' ' -f1)"
slight_stop TERM
[ -f "$state/my-container/key" ] || fail "--state-dir: no $state/my-container/key"
start5
expect_eq "v0.5 GET /foo after restart" "200 v05 value" "$(http GET /foo)"
slight_stop TERM
echo "slight.keyvalue_filesystem: OK"
