# keyvalue with the redis backend against a real redis-server on 127.0.0.1 (started here, no
# persistence of its own): values are stored as "<store>:<key>", survive an app restart, and the
# address comes from [capability.configs] REDIS_ADDRESS through "${envvars.NAME}".
. "$(dirname "$0")/lib.sh" "$@"
command -v redis-server > /dev/null || fail "redis-server is not installed"
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$SLIGHT_TMP" > "$SLIGHT_TMP/redis.log" 2>&1 &
_slight_extra_pids+=($!)
for i in $(seq 1 100); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
redis-cli -p "$rport" ping | grep -q PONG || fail "redis-server did not start on $rport"
app=$SLIGHT_TMP/app
slight_app hello_slight "$app"
cat > "$app/slightfile.toml" <<TOML
specversion = "0.1"
secret_store = "configs.envvars"

[[capability]]
name = "http"

[[capability]]
name = "kv.redis"
    [capability.configs]
    REDIS_ADDRESS = "\${envvars.TEST_REDIS_URL}"

[[capability]]
name = "configs.envvars"
TOML
slight_start "$app" TEST_REDIS_URL=redis://127.0.0.1:$rport
expect_eq "GET /foo before any PUT" 404 "$(http GET /foo | cut -d' ' -f1)"
expect_eq "PUT /bar" 200 "$(http PUT /bar --data-binary 'in redis' | cut -d' ' -f1)"
expect_eq "GET /foo" "200 in redis" "$(http GET /foo)"
expect_eq "redis GET my-container:key" "in redis" "$(redis-cli -p "$rport" GET my-container:key)"
slight_stop TERM
# 0.1 with secret_store = configs.envvars and no [capability.configs]: REDIS_ADDRESS comes from the
# environment through the secret store.
sed -i '/capability.configs/d; /REDIS_ADDRESS/d' "$app/slightfile.toml"
slight_start "$app" REDIS_ADDRESS=redis://127.0.0.1:$rport
expect_eq "GET /foo after restart" "200 in redis" "$(http GET /foo)"
expect_eq "DELETE /bar" 200 "$(http DELETE /bar | cut -d' ' -f1)"
expect_eq "redis EXISTS after DELETE" 0 "$(redis-cli -p "$rport" EXISTS my-container:key)"
slight_stop TERM
# A redis that is down: the request fails with 500 (connection-error), the server keeps serving.
kill "${_slight_extra_pids[0]}"; wait "${_slight_extra_pids[0]}" 2>/dev/null
slight_start "$app" REDIS_ADDRESS=redis://127.0.0.1:$rport
expect_eq "GET /foo with redis down" 500 "$(http GET /foo | cut -d' ' -f1)"
expect_eq "GET /hello still served" "200 hello" "$(http GET /hello)"
slight_stop TERM
# No REDIS_ADDRESS at all: a load error naming the line.
cat > "$app/slightfile.toml" <<TOML
specversion = "0.2"
[[capability]]
resource = "http"
name = "api"
[[capability]]
resource = "keyvalue.redis"
name = "my-container"
TOML
slight_load_fails "$app" 'slightfile.toml:5: keyvalue.redis .my-container.: missing config REDIS_ADDRESS'
echo "slight.keyvalue_redis: OK"
