#!/usr/bin/env bash
# A time limit for one step of `make test` / `make bench`, so that none of them can hang.
#
#   tests/watchdog.sh SECONDS NAME CMD [ARGS…]
#
# Runs CMD under coreutils `timeout`, in a process group of its own. Past SECONDS: TERM to that
# whole group, KILL 10 s later, "watchdog: NAME exceeded SECONDS s, killed" on stderr, exit 124.
# Otherwise CMD's exit status. NAME `-` stands for CMD's file name (a cargo test runner).
# TERM, INT or HUP sent to this script are passed on to CMD's group.
set -u
if [ $# -lt 3 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 SECONDS NAME CMD [ARGS…] (SECONDS: a whole number above 0)" >&2
  exit 2
fi
limit=$1 name=$2
shift 2
[ "$name" = - ] && name=$(basename "$1")
start=$SECONDS
# In the background so that this script can pass signals on (timeout's group is not the
# terminal's); `<&0` keeps stdin, which a background job would otherwise lose.
timeout --kill-after=10 "$limit" "$@" <&0 &
pid=$!
for sig in TERM INT HUP; do
  # shellcheck disable=SC2064
  trap "kill -$sig $pid 2>/dev/null" "$sig"
done
rc=0
wait "$pid" || rc=$?
# A trapped signal interrupts `wait`: wait again until CMD is gone.
while kill -0 "$pid" 2>/dev/null; do
  rc=0
  wait "$pid" || rc=$?
done
# 124: timed out, TERM was enough; 137: it took KILL. Both only count past the limit, so
# that CMD's own 124 (a watchdog inside) or a KILL from elsewhere are passed on as they are.
if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && [ $((SECONDS - start)) -ge "$limit" ]; then
  echo "watchdog: $name exceeded $limit s, killed" >&2
  exit 124
fi
exit "$rc"
