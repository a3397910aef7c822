#!/usr/bin/env bash
# The C tests of libsharedpool: builds tests/c/*.c with -Wall -Wextra -Werror against
# include/sharedpool.h and target/release/libsharedpool.so, runs them against the test server,
# runs them again under valgrind (no leaks, no errors) and once more built with AddressSanitizer
# (+ LeakSanitizer; only the tests are instrumented, not libsharedpool.so, whose allocations LSan
# still tracks through its malloc), checks the header compiles as C++, and
# installs into a temporary PREFIX to build the quick start with pkg-config (shared and static).
#
#   make test-c                          (builds the library, starts a throwaway MariaDB)
#   tests/mariadb.sh run tests/c/run.sh  (the library already built with `make lib`)
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if [ -z "${SHAREDPOOL_TEST_DSN:-}" ]; then
  echo "tests/c/run.sh: SHAREDPOOL_TEST_DSN is not set; run it under tests/mariadb.sh run" >&2
  exit 2
fi
[ -f target/release/libsharedpool.so ] || { echo "run 'make lib' first" >&2; exit 2; }

CC=${CC:-cc}
CXX=${CXX:-c++}
out=target/ctest
mkdir -p "$out"
cflags=(-std=c11 -Wall -Wextra -Werror -g -O1 -Iinclude)
libs=(-Ltarget/release -lsharedpool -lpthread "-Wl,-rpath,$root/target/release")
tests=(test_api test_threads test_wait test_session test_deadline test_stream test_fork test_fork_storm)
# Not test_fork(_storm): a forked child gives up the inherited connections on purpose without closing
# them (no byte on the parent's sockets), which valgrind rightly reports as leaked in the child.
valgrind_tests=(test_api test_threads test_wait test_session test_deadline test_stream)
# AddressSanitizer: every test but test_fork_storm; test_fork's child leaves by _exit, which skips
# LSan, so the leak check covers the parent only. Not test_fork_storm: GCC 12's libasan takes no
# atfork locks on its allocator, so a child forked while a parent thread is inside malloc inherits
# the allocator's region mutex locked and hangs in the next malloc (seen with gdb in
# SizeClassAllocator64::GetFromAllocator, under mysql_optionsv); glibc's malloc is fork-safe and
# the plain run forks 200 times.
asan_tests=(test_api test_threads test_wait test_session test_deadline test_stream test_fork)

passed=0
failed=0
step() {
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok      $name"
  else
    failed=$((failed + 1))
    echo "FAILED  $name"
  fi
}

watchdog=tests/watchdog.sh
build() { "$CC" "${cflags[@]}" "tests/c/$1.c" "${libs[@]}" -o "$out/$1"; }
run() { $watchdog 300 "$1" "$out/$1"; }
run_valgrind() {
  $watchdog 600 "valgrind $1" valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    "$out/$1"
}
build_asan() {
  mkdir -p "$out/asan" &&
    "$CC" "${cflags[@]}" -fsanitize=address -fno-omit-frame-pointer "tests/c/$1.c" "${libs[@]}" \
      -o "$out/asan/$1"
}
# halt_on_error/abort: the first error fails the test with ASan's report. detect_leaks=1 (LSan)
# runs at exit; exitcode=99 tells its failures apart.
run_asan() {
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=99:${ASAN_OPTIONS:-} \
    $watchdog 600 "asan $1" "$out/asan/$1"
}
cxx_header() {
  printf '#include "sharedpool.h"\nint main() { return sp_abi_version() >> 16 == SP_ABI_VERSION_MAJOR ? 0 : 1; }\n' |
    "$CXX" -x c++ -std=c++11 -Wall -Wextra -Werror -Iinclude - "${libs[@]}" -o "$out/cxx_header" &&
    "$out/cxx_header"
}

c99_header() {
  printf '#include "sharedpool.h"\nint main(void) { return (int)sizeof(sp_stats) == 0; }\n' |
    "$CC" -x c -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only -
}

for t in "${tests[@]}" quickstart bench_ffi; do step "build $t" build "$t"; done
step "header compiles as C++ (extern \"C\") and links" cxx_header
step "header compiles as pedantic C99" c99_header
for t in "${tests[@]}"; do step "run $t" run "$t"; done
# The README shows tests/c/quickstart.c (less its first comment line) verbatim.
readme_matches_quickstart() {
  diff <(tail -n +2 tests/c/quickstart.c) <(awk '/^```c$/ {f = 1; next} /^```$/ {f = 0} f' README.md)
}
# A second copy of the library at another path, loaded with dlopen by test_copies.
two_copies() {
  mkdir -p "$out/copy" && cp target/release/libsharedpool.so "$out/copy/libsharedpool.so.1" &&
    build test_copies && run_copies
}
run_copies() { $watchdog 120 test_copies "$out/test_copies" "$root/$out/copy/libsharedpool.so.1"; }
step "two copies of the library share one registry" two_copies
step "README's C quick start is tests/c/quickstart.c" readme_matches_quickstart
step "run quickstart" bash -c "[ \"\$('$out/quickstart' \"\$SHAREDPOOL_TEST_DSN\")\" = 'hello, world' ]"
for t in "${asan_tests[@]}"; do
  if build_asan "$t"; then step "asan $t" run_asan "$t"; else step "build asan $t" false; fi
done
if ! command -v valgrind >/dev/null && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "tests/c/run.sh: installing valgrind" >&2
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind; } >&2
fi
if command -v valgrind >/dev/null; then
  for t in "${valgrind_tests[@]}"; do step "valgrind $t" run_valgrind "$t"; done
else
  step "valgrind is installed (apt-get install valgrind)" false
fi

# Install into a temporary prefix and build the quick start the way a user would.
prefix=$(mktemp -d "${TMPDIR:-/tmp}/sharedpool-prefix.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
installed() {
  make -s install PREFIX="$prefix" >/dev/null &&
    [ -f "$prefix/include/sharedpool.h" ] && [ -f "$prefix/lib/libsharedpool.a" ] &&
    [ -L "$prefix/lib/libsharedpool.so" ] && [ -f "$prefix/lib/libsharedpool.so.1" ] &&
    [ -f "$prefix/lib/pkgconfig/sharedpool.pc" ]
}
pkg_shared() {
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  # shellcheck disable=SC2046
  "$CC" -Wall -Wextra -Werror tests/c/quickstart.c $(pkg-config --cflags --libs sharedpool) \
    -o "$out/quickstart_pkg" &&
    readelf -d "$out/quickstart_pkg" | grep -q 'NEEDED.*\[libsharedpool\.so\.1\]' &&
    [ "$(LD_LIBRARY_PATH="$prefix/lib" "$out/quickstart_pkg" "$SHAREDPOOL_TEST_DSN")" = "hello, world" ]
}
pkg_static() {
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  local flags
  flags=$(pkg-config --static --cflags --libs sharedpool) || return 1
  # shellcheck disable=SC2086
  "$CC" -Wall -Wextra -Werror tests/c/quickstart.c ${flags/-lsharedpool/-l:libsharedpool.a} \
    -o "$out/quickstart_static" &&
    ! readelf -d "$out/quickstart_static" | grep -q libsharedpool &&
    [ "$("$out/quickstart_static" "$SHAREDPOOL_TEST_DSN")" = "hello, world" ]
}
step "make install PREFIX=<tmp>" installed
step "pkg-config build (shared, SONAME libsharedpool.so.1) runs" pkg_shared
step "pkg-config --static build (libsharedpool.a) runs" pkg_static

echo "test-c: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
