# Images from `wasipool image build` under a real containerd: a plain `ctr image import` names them NAME:TAG
# for every --platform form, and a linux/amd64 busybox image runs under runc (io.containerd.runc.v2) —
# the image format checked independently of our shims.
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
e2e_app e2e_echo_exit
e2e_image example.com/e2e/wasm:v1 "$E2E_WORK/app"
e2e_image e2e-both:v2 "$E2E_WORK/app" --platform both
e2e_busybox_dir "$E2E_WORK/bb"
e2e_image busybox-e2e:1 "$E2E_WORK/bb" --platform linux/amd64 --entrypoint /bin/sh
ctr_ image ls
# The wasi/wasm image: the default platform matcher (linux/amd64) must not reject it at run time.
ctr_ image check | grep -E 'wasm:v1|both' | grep -q complete || ctd_fail "imported images incomplete: $(ctr_ image check)"
out=$(ctr_ run --rm --runtime io.containerd.runc.v2 busybox-e2e:1 bb1 /bin/sh -c 'echo from-busybox; exit 5')
rc=$?
e2e_expect_eq "runc exit code" 5 "$rc"
e2e_expect_eq "runc stdout" from-busybox "$(printf '%s' "$out" | tr -d '\r')"
echo "e2e.image_import: OK"
