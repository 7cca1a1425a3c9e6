# Robustness of the request path: SIGTERM while a request is in flight lets it finish (200) before the
# process exits 0; a guest that loops forever is stopped at --timeout (504) while other requests keep
# being answered; a trapping handler answers 500 and the server keeps serving.
. "$(dirname "$0")/lib.sh" "$@"
d=$SLIGHT_TMP/app
slight_cases_app "$d"
slight_start "$d"
expect_eq "GET /trap" 500 "$(http GET /trap | cut -d' ' -f1)"
grep -q 'handle-trap' "$SLIGHT_ERR" || fail "the trap was not logged"
# In flight when SIGTERM arrives: it must complete.
http GET /slow > "$SLIGHT_TMP/slow" &
slow_pid=$!
sleep 0.3
kill -TERM "$SLIGHT_PID"
wait "$slow_pid"
expect_eq "GET /slow across SIGTERM" "200 slow done" "$(cat "$SLIGHT_TMP/slow")"
wait "$SLIGHT_PID"
expect_eq "exit status after draining" 0 "$?"
SLIGHT_PID=
# A looping guest is interrupted at the deadline; meanwhile other requests are answered.
SLIGHT_OUT=$SLIGHT_TMP/o2; SLIGHT_ERR=$SLIGHT_TMP/e2
HELLO_SLIGHT_ADDRESS=127.0.0.1:0 "$WASIPOOL" slight -c "$d/slightfile.toml" run "$d/app.wasm" --timeout 1 > "$SLIGHT_OUT" 2> "$SLIGHT_ERR" &
SLIGHT_PID=$!
for i in $(seq 1 200); do line=$(grep -m1 '^Serving' "$SLIGHT_OUT") && break; sleep 0.05; done
SLIGHT_PORT=${line##*:}
http GET /spin > "$SLIGHT_TMP/spin" &
spin_pid=$!
sleep 0.2
expect_eq "GET /trap while a guest loops" 500 "$(http GET /trap | cut -d' ' -f1)"
wait "$spin_pid"
expect_eq "GET /spin" 504 "$(cut -d' ' -f1 < "$SLIGHT_TMP/spin")"
slight_stop TERM
echo "slight.drain_timeout: OK"
