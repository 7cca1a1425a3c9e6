# stdio on containerd's log URIs (`ctr run --log-uri`, as Docker and some loggers use): file:///abs/path
# gets stdout and stderr appended; binary:///abs/path spawns that program with stdout on fd 3, stderr on
# fd 4 and a ready pipe on fd 5, env CONTAINER_ID / CONTAINER_NAMESPACE.
. "$(dirname "$0")/lib.sh" "$@"
e2e_start
e2e_app e2e_echo_exit
e2e_image e2e-log:1 "$E2E_WORK/app"
ctr_ run --rm --runtime io.containerd.wasm.v1 --log-uri "file://$E2E_WORK/file.log" e2e-log:1 f1 \
  /e2e_echo_exit.wasm to-file > /dev/null 2>&1
e2e_expect_eq "exit status (file://)" 3 "$(e2e_exit_status f1)"
log=$(cat "$E2E_WORK/file.log" 2>/dev/null)
e2e_expect_contains "file:// log (stdout)" "arg 1: to-file" "$log"
e2e_expect_contains "file:// log (stderr)" "to stderr" "$log"

cat > "$E2E_WORK/logger.sh" <<'LOGGER'
#!/bin/sh
# A binary:// logger: copy fd 3 (stdout) and fd 4 (stderr) to files named after the container, then
# signal readiness by closing fd 5.
dir=$(dirname "$0")
cat <&3 > "$dir/$CONTAINER_ID.out" &
cat <&4 > "$dir/$CONTAINER_ID.err" &
echo "$CONTAINER_NAMESPACE" > "$dir/$CONTAINER_ID.ns"
exec 5>&-
wait
LOGGER
chmod +x "$E2E_WORK/logger.sh"
ctr_ run --rm --runtime io.containerd.wasm.v1 --log-uri "binary://$E2E_WORK/logger.sh" e2e-log:1 b1 \
  /e2e_echo_exit.wasm to-binary > /dev/null 2>&1
e2e_expect_eq "exit status (binary://)" 3 "$(e2e_exit_status b1)"
for i in $(seq 1 50); do grep -q to-binary "$E2E_WORK/b1.out" 2>/dev/null && break; sleep 0.1; done
e2e_expect_contains "binary:// logger stdout (fd 3)" "arg 1: to-binary" "$(cat "$E2E_WORK/b1.out" 2>/dev/null)"
e2e_expect_contains "binary:// logger stderr (fd 4)" "to stderr" "$(cat "$E2E_WORK/b1.err" 2>/dev/null)"
e2e_expect_eq "binary:// logger CONTAINER_NAMESPACE" "$CTD_NS" "$(cat "$E2E_WORK/b1.ns" 2>/dev/null)"
echo "e2e.log_uri: OK"
