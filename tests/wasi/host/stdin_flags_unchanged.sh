#!/usr/bin/env bash
# A guest's fd_fdstat_set_flags(NONBLOCK) on inherited stdin must not reach the host: the open file
# description is shared with this shell, so an F_SETFL would leave the host's stdin non-blocking after
# the guest is gone. usage: stdin_flags_unchanged.sh WASIPOOL MODULE
set -euo pipefail
wasipool=$1 module=$2
exec 3< <(:)   # the read end stays open (and its flags readable) after the writer is gone
nonblock() { local flags; flags=$(awk '/^flags:/ {print $2}' "/proc/$$/fdinfo/3"); echo $(( (8#$flags & 8#4000) != 0 )); }
[ "$(nonblock)" = 0 ] || { echo "precondition: pipe already non-blocking"; exit 1; }
"$wasipool" run "$module" <&3 || { echo "guest failed: fd_fdstat_set_flags returned errno $?"; exit 1; }
if [ "$(nonblock)" != 0 ]; then echo "FAIL: the guest's NONBLOCK leaked to the host's stdin"; exit 1; fi
echo "host stdin flags unchanged"
