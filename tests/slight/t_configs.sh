# configs.envvars: configs::get reads the host environment (and the app read its listen address the
# same way). A missing variable is configs-error not-found, which the app answers with 404.
. "$(dirname "$0")/lib.sh" "$@"
app=$SLIGHT_TMP/app
slight_app hello_slight "$app"
slight_start "$app" HELLO_SLIGHT_MESSAGE='from the environment'
expect_eq "GET /config" "200 from the environment" "$(http GET /config)"
slight_stop TERM
env -u HELLO_SLIGHT_MESSAGE true
slight_start "$app"
expect_eq "GET /config without the variable" 404 "$(http GET /config | cut -d' ' -f1)"
slight_stop TERM
# The listen address itself came from configs: a fixed port is honoured.
port=$(free_port)
SLIGHT_OUT=$SLIGHT_TMP/fixed.out; SLIGHT_ERR=$SLIGHT_TMP/fixed.err
HELLO_SLIGHT_ADDRESS=localhost:$port "$WASIPOOL" slight -c "$app/slightfile.toml" run "$app/app.wasm" > "$SLIGHT_OUT" 2> "$SLIGHT_ERR" &
SLIGHT_PID=$!
for i in $(seq 1 200); do grep -q '^Serving' "$SLIGHT_OUT" && break; sleep 0.05; done
expect_eq "serving line" "Serving http://127.0.0.1:$port" "$(grep -m1 '^Serving' "$SLIGHT_OUT")"
SLIGHT_PORT=$port
expect_eq "GET /hello on the app's address" "200 hello" "$(http GET /hello)"
slight_stop TERM
echo "slight.configs: OK"
