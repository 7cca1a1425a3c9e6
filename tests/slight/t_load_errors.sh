# Everything wrong with an app is reported at load with a clear reason, and the app never serves:
# an unsupported capability ("capability X is not supported"), an interface the module imports without
# the capability, malformed slightfiles (FILE:LINE: reason), a missing module, a bad command line.
. "$(dirname "$0")/lib.sh" "$@"
d=$SLIGHT_TMP/app
slight_app hello_slight "$d"
sf() { cat > "$d/slightfile.toml"; }

sf <<'T'
specversion = "0.2"
[[capability]]
resource = "http"
name = "api"

[[capability]]
resource = "keyvalue.azblob"
name = "my-container"
T
slight_load_fails "$d" 'slightfile.toml:6: capability keyvalue.azblob is not supported'

sf <<'T'
specversion = "0.1"
[[capability]]
name = "http"
[[capability]]
name = "mq.filesystem"
T
slight_load_fails "$d" 'slightfile.toml:4: capability mq.filesystem is not supported'

sf <<'T'
specversion = "0.1"
secret_store = "configs.azapp"
[[capability]]
name = "http"
T
slight_load_fails "$d" 'slightfile.toml:2: secret store configs.azapp is not supported'

# The module imports keyvalue and configs, the slightfile grants only http.
sf <<'T'
specversion = "0.1"
[[capability]]
name = "http"
T
slight_load_fails "$d" 'app.wasm imports (keyvalue|configs)\..*declares no (keyvalue|configs) capability'

# Malformed files: FILE:LINE: reason.
sf <<'T'
specversion = "0.2"
[[capability]]
resource = "http"
name = "api
T
slight_load_fails "$d" 'slightfile.toml:4: .*'
sf <<'T'
[[capability]]
resource = "http"
name = "api"
T
slight_load_fails "$d" 'slightfile.toml:1: specversion: missing required field'
sf <<'T'
specversion = "0.3"
T
slight_load_fails "$d" "slightfile.toml:1: specversion: unsupported specversion '0.3'"
sf <<'T'
specversion = "0.1"

[[capability]]
name = "http"
resource = "http"
T
slight_load_fails "$d" 'slightfile.toml:5: capability\[0\]\.resource: this file is specversion 0.1, but the capability uses the 0.2 format'
sf <<'T'
specversion = "0.2"
[[capability]]
name = "http"
T
slight_load_fails "$d" 'slightfile.toml:2: capability\[0\]\.resource: missing required field'
sf <<'T'
specversion = "0.2"
[[capability]]
resource = "keyvalue.filesystem"
name = "store"

[[capability]]
resource = "kv.filesystem"
name = "store"
T
slight_load_fails "$d" "slightfile.toml:6: capability: the name 'store' is already used for keyvalue capabilities \(line 2\)"
sf <<'T'
specversion = "0.2"
[[capability]]
resource = "keyvalue.filesystem"
name = "*"
[[capability]]
resource = "keyvalue.redis"
name = "other"
T
slight_load_fails "$d" 'slightfile.toml:5: capability: a capability of this kind named "\*" already takes every name'
sf <<'T'
specversion = "0.2"
[[capability]]
resource = "http"
nmae = "api"
T
slight_load_fails "$d" 'slightfile.toml:4: capability\[0\]\.nmae: unknown field'
sf <<'T'
specversion = "0.2"
[[capability]]
resource = "http"
name = "api"
    [capability.configs]
    PORT = 80
T
slight_load_fails "$d" 'slightfile.toml:6: capability\[0\]\.configs\.PORT: expected a string'
sf <<'T'
specversion = 0.2
T
slight_load_fails "$d" 'slightfile.toml:1: specversion: expected a string'
sf < /dev/null
slight_load_fails "$d" 'slightfile.toml:1: specversion: missing required field'

# toml++ 3.3 has undefined behaviour on some non-ASCII characters where whitespace may stand (found by
# fuzz/fuzz_slightfile.cpp): such files are rejected before it parses them. Errors stay on one line.
printf 'specversion = "0.2"\n[[capability]]\nresource = "http"\nname \xc2\xac= "api"\n' > "$d/slightfile.toml"
slight_load_fails "$d" 'slightfile.toml:4: non-ASCII text outside a string or comment'
printf 'specversion = "0.2" # caf\xc3\xa9\n[[capability]]\nresource = "http"\nname = "caf\xc3\xa9"\n' > "$d/slightfile.toml"
slight_load_fails "$d" 'app.wasm imports (keyvalue|configs)'
printf 's =[i\n\000t' > "$d/slightfile.toml"
slight_load_fails "$d" 'slightfile.toml:1: .*\\x0A'
[ "$(wc -l < "$SLIGHT_TMP/lf.err")" = 1 ] || fail "multi-line error: $(cat "$SLIGHT_TMP/lf.err")"

# No such slightfile / module; a module that is not wasm.
rm "$d/slightfile.toml"
slight_load_fails "$d" 'slightfile.toml: no such file'
slight_app hello_slight "$d"
echo 'not wasm' > "$d/app.wasm"
slight_load_fails "$d" 'app.wasm: malformed: magic header'

# Bad command lines: exit 2 with usage.
"$WASIPOOL" slight -c "$d/slightfile.toml" > /dev/null 2>&1
expect_eq "no run" 2 $?
"$WASIPOOL" slight -c "$d/slightfile.toml" run > /dev/null 2>&1
expect_eq "no module" 2 $?
"$WASIPOOL" slight --bogus run x.wasm > /dev/null 2>&1
expect_eq "unknown option" 2 $?
echo "slight.load_errors: OK"
