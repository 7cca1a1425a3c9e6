# A slight app without the http capability is a command: the host runs _start and exits with the
# guest's status. It uses the 0.1/0.2-era `kv` interface (kv.kv::*, single-case errors) on two named
# kv.filesystem stores (specversion 0.2, like slight's prebuilt keyvalue test app): stores are kept
# apart, keys cannot escape their store's directory, a missing key and an undeclared store are errors.
. "$(dirname "$0")/lib.sh" "$@"
d=$SLIGHT_TMP/app
mkdir -p "$d"
cp "$SLIGHT_BUILD/tests/slight/slight_kv_command.wasm" "$d/app.wasm" || fail "kv guest not built"
cat > "$d/slightfile.toml" <<'T'
specversion = "0.2"

[[secret_settings]]
name = "unused"
value = "parsed but not needed"

[[capability]]
resource = "kv.filesystem"
name = "my-container"

[[capability]]
resource = "kv.filesystem"
name = "my-container2"
T
rc=0
timeout 20 "$WASIPOOL" slight -c "$d/slightfile.toml" run "$d/app.wasm" > "$SLIGHT_TMP/out" 2> "$SLIGHT_TMP/err" || rc=$?
expect_eq "exit status (the guest's)" 7 "$rc"
expected='get k1 = v1
get ../escape/k2 = v2
get k1 = other store
keys: 2
keys has k1
delete k1: ok
get k1: error 0: key '"'"'k1'"'"' not found
open not-declared: error 0: the slightfile has no keyvalue capability named '"'"'not-declared'"'"''
expect_eq "guest output" "$expected" "$(cat "$SLIGHT_TMP/out")"
[ -f "$d/.slight/keyvalue/my-container/%2E.%2Fescape%2Fk2" ] || fail "encoded key file missing: $(ls -R "$d/.slight")"
[ ! -e "$d/.slight/keyvalue/escape" ] || fail "a key escaped its store directory"
expect_eq "other store on disk" "other store" "$(cat "$d/.slight/keyvalue/my-container2/k1")"
echo "slight.kv_command: OK"
