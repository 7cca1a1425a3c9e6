# (e) An ordinary Linux container (busybox-static, platform linux/amd64) sent to the wasm runtime: its ELF
# entrypoint is classified as a container and run by runc with the same bundle — stdout and exit code.
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
e2e_busybox_dir "$E2E_WORK/bb"
e2e_image busybox-e2e:1 "$E2E_WORK/bb" --platform linux/amd64 --entrypoint /bin/sh
out=$(ctr_ run --rm --runtime io.containerd.wasm.v1 busybox-e2e:1 b1 /bin/sh -c 'echo from-runc $((6*7)); exit 7')
rc=$?
e2e_expect_eq "exit code" 7 "$rc"
e2e_expect_eq "stdout" "from-runc 42" "$(printf '%s' "$out" | tr -d '\r')"
# A shell-free ELF too (busybox itself as args[0]).
out=$(ctr_ run --rm --runtime io.containerd.wasm.v1 busybox-e2e:1 b2 /bin/busybox echo direct)
e2e_expect_eq "exit code (direct ELF)" 0 "$?"
e2e_expect_eq "stdout (direct ELF)" direct "$(printf '%s' "$out" | tr -d '\r')"
echo "e2e.busybox_wasm_runtime: OK"
