#!/usr/bin/env bash
# Tests of tests/watchdog.sh (run by `make test-scripts`): a hung step is killed with a message
# naming it and exit 124, a step that ignores TERM gets KILL, a normal exit status passes
# through, and a throwaway MariaDB of tests/mariadb.sh is stopped when its CMD is killed.
set -uo pipefail
cd "$(dirname "$0")/.."
wd=tests/watchdog.sh
failed=0
check() { # NAME CONDITION…
  local name=$1
  shift
  if "$@"; then echo "ok      $name"; else echo "FAILED  $name"; failed=$((failed + 1)); fi
}
err=$(mktemp)
trap 'rm -f "$err"' EXIT

t0=$SECONDS
$wd 1 "sleepy step" sleep 100 2>"$err"
rc=$?
check "sleep 100 under 1 s: exit 124 (got $rc)" [ "$rc" = 124 ]
check "... within 12 s (took $((SECONDS - t0)) s)" [ $((SECONDS - t0)) -le 12 ]
check "... message names the step" grep -qx "watchdog: sleepy step exceeded 1 s, killed" "$err"

t0=$SECONDS
$wd 1 "stubborn step" bash -c 'trap "" TERM; sleep 100' 2>"$err"
rc=$?
check "a step ignoring TERM is KILLed: exit 124 (got $rc) within 14 s (took $((SECONDS - t0)) s)" \
  [ "$rc" = 124 ] && [ $((SECONDS - t0)) -le 14 ]
check "... message names the step" grep -q "watchdog: stubborn step exceeded 1 s, killed" "$err"

$wd 10 "quick step" bash -c 'exit 3' 2>"$err"
rc=$?
check "exit status passes through (3, got $rc), no message" [ "$rc" = 3 ] && ! [ -s "$err" ]
check "stdin reaches CMD" [ "$(echo hello | $wd 10 cat cat)" = hello ]
$wd 0 x true 2>/dev/null
rc=$?
check "bad limit: usage, exit 2 (got $rc)" [ "$rc" = 2 ]

if [ -z "${SHAREDPOOL_TEST_DSN:-}" ] && command -v mariadbd >/dev/null; then
  # The server's folder is printed by mariadb.sh; it must be gone after the kill.
  $wd 12 "hung test against MariaDB" tests/mariadb.sh run sleep 100 2>"$err"
  rc=$?
  dir=$(sed -n 's/^mariadb.sh: MariaDB on [0-9.:]* (\(.*\))$/\1/p' "$err")
  check "mariadb.sh run sleep 100 under 12 s: exit 124 (got $rc)" [ "$rc" = 124 ]
  check "... the server had started ($dir)" [ -n "$dir" ]
  server_gone() { ! pgrep -f -- "--datadir=$dir/data" >/dev/null && ! [ -e "$dir" ]; }
  check "... and is stopped, its folder removed" server_gone
fi

echo "test-scripts: $failed failed"
[ "$failed" -eq 0 ]
