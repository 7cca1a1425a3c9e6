# (a) A plain WASI module through io.containerd.wasm.v1: `ctr run --rm` shows the guest's stdout and
# stderr, passes process.args and env, and exits with the guest's exit code (3).
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
e2e_app e2e_echo_exit
e2e_image e2e-wasm:1 "$E2E_WORK/app"
out=$(ctr_ run --rm --runtime io.containerd.wasm.v1 --env E2E_VALUE=from-ctr e2e-wasm:1 w1 \
      /e2e_echo_exit.wasm first "second arg" 2> "$E2E_WORK/stderr")
rc=$?
echo "$out"
e2e_expect_eq "exit code of ctr run" 3 "$rc"
e2e_expect_contains "stdout" "arg 1: first" "$out"
e2e_expect_contains "stdout" "arg 2: second arg" "$out"
e2e_expect_contains "stdout" "E2E_VALUE=from-ctr" "$out"
e2e_expect_contains "stderr" "to stderr" "$(cat "$E2E_WORK/stderr")"
# The image's own Entrypoint (the default /e2e_echo_exit.wasm) when the command line gives none.
out=$(ctr_ run --rm --runtime io.containerd.wasm.v1 e2e-wasm:1 w2 2> /dev/null)
rc=$?
e2e_expect_eq "exit code with the image entrypoint" 3 "$rc"
e2e_expect_contains "stdout" "E2E_VALUE=(unset)" "$out"
echo "e2e.wasm_exit: OK"
