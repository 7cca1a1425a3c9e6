# `wasipool image build` without containerd: bad input is a clear error with exit 2; the same input gives
# the same digest; the layer holds the directory's files with zeroed owners and times.
. "$(dirname "$0")/lib.sh" "$@"
W=$(mktemp -d /tmp/e2e-img.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/app/sub"
echo hello > "$W/app/sub/f.txt"
printf '\0asm\1\0\0\0' > "$W/app/m.wasm"
ln -s sub/f.txt "$W/app/link"

expect_usage() {  # expect_usage MESSAGE-PART ARGS...
  local want=$1; shift
  local err rc
  err=$("$WASIPOOL" image build "$@" 2>&1 > /dev/null); rc=$?
  [ "$rc" = 2 ] || ctd_fail "'image build $*' exited $rc, expected 2 ($err)"
  printf '%s' "$err" | grep -qF -- "$want" || ctd_fail "'image build $*': '$want' not in: $err"
}
expect_usage "cannot read directory $W/nope" "$W/nope" -t a:b -o "$W/x.tar"
expect_usage "missing -t" "$W/app" -o "$W/x.tar"
expect_usage "missing -o" "$W/app" -t a:b
expect_usage "bad image name 'Hello:v1'" "$W/app" -t Hello:v1 -o "$W/x.tar"
expect_usage "tag" "$W/app" -t hello:-v1 -o "$W/x.tar"
expect_usage "bad platform 'wasm'" "$W/app" -t a:b -o "$W/x.tar" --platform wasm
expect_usage "cannot write $W/no/such/dir/x.tar" "$W/app" -t a:b -o "$W/no/such/dir/x.tar"
expect_usage "unknown option '--bogus'" "$W/app" -t a:b -o "$W/x.tar" --bogus
[ ! -e "$W/x.tar" ] || ctd_fail "a failed build left $W/x.tar behind"
mkfifo "$W/app/fifo"
expect_usage "unsupported file type" "$W/app" -t a:b -o "$W/x.tar"
rm "$W/app/fifo"

d1=$("$WASIPOOL" image build "$W/app" -t hello:v1 -o "$W/1.tar") || ctd_fail "build 1"
touch -d 2002-02-02 "$W/app/m.wasm" "$W/app/sub"
d2=$("$WASIPOOL" image build "$W/app" -t hello:v1 -o "$W/2.tar") || ctd_fail "build 2"
e2e_expect_eq "digest of the same input" "$d1" "$d2"
cmp -s "$W/1.tar" "$W/2.tar" || ctd_fail "same input, different archive bytes"
e2e_expect_eq "printed reference" "hello:v1" "${d1%% *}"

mkdir "$W/x" && tar -xf "$W/1.tar" -C "$W/x" || ctd_fail "GNU tar cannot read the image"
e2e_expect_eq "oci-layout" '{"imageLayoutVersion":"1.0.0"}' "$(cat "$W/x/oci-layout")"
grep -qF '"io.containerd.image.name":"hello:v1"' "$W/x/index.json" || ctd_fail "index.json: $(cat "$W/x/index.json")"
for b in "$W"/x/blobs/sha256/*; do
  e2e_expect_eq "blob name = its sha256" "$(basename "$b")" "$(sha256sum < "$b" | cut -c1-64)"
done
# The layer: the largest blob that is a tar.
layer=$(for b in "$W"/x/blobs/sha256/*; do tar -tf "$b" > /dev/null 2>&1 && echo "$b"; done | head -1)
[ -n "$layer" ] || ctd_fail "no layer tar among the blobs"
e2e_expect_eq "layer entries" "$(printf 'link\nm.wasm\nsub/\nsub/f.txt')" "$(tar -tf "$layer")"
tar -tvf "$layer" | grep -q '0/0 .* 1970-01-01 00:00 sub/f.txt' || ctd_fail "owners/times not zeroed: $(tar -tvf "$layer")"
# Default entrypoint: the one top-level module.
grep -rqF '"Entrypoint":["/m.wasm"]' "$W/x/blobs/sha256/" || ctd_fail "default Entrypoint /m.wasm missing"
echo "e2e.image_cli: OK"
