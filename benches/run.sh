#!/usr/bin/env bash
# `make bench` (QUICK=1 for the short CI run): every comparison of benches/README.md in one run,
# on this machine, against ONE throwaway MariaDB, then benches/report.py writes benches/RESULTS.md,
# the PNG plots beside it and leaves the raw numbers in benches/results/*.json. A QUICK run writes
# all of that under target/bench/quick/ instead, so `make test` never overwrites the figures.
#
#   benches/run.sh            build, install the peers, run everything, report
#   benches/run.sh server     (internal) the comparisons that need the server; run by tests/mariadb.sh
#
# Peers come from their registries: crates.io (core/Cargo.toml dev-dependencies), PyPI (a venv in
# target/bench-venv), the Go module proxy (benches/go/go.mod). A comparison that fails is reported
# and the run goes on; the exit status is non-zero when anything failed. Every step has a time
# limit (tests/watchdog.sh): a step that hangs is killed, reported as failed (exit 124, "watchdog:
# STEP exceeded N s, killed") and the run goes on.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:/usr/local/go/bin:$PATH"
QUICK=${QUICK:-0}
export QUICK
quick=()
[ "$QUICK" = 1 ] && quick=(--quick)
out_dir=benches
[ "$QUICK" = 1 ] && out_dir=target/bench/quick
export BENCH_OUT_DIR=$out_dir
results=$out_dir/results
venv=target/bench-venv
export results venv
# A private copy of the watchdog, like the server script's below (an edit during a run).
mkdir -p target/bench
{ [ "${1:-}" = server ] && [ -x target/bench/watchdog.sh ]; } || cp tests/watchdog.sh target/bench/watchdog.sh
status_file=target/bench/failures
mkdir -p "$results" target/bench

log() { echo "bench: $*" >&2; }

# A step's time limit in seconds: `limit QUICK FULL`.
limit() { if [ "$QUICK" = 1 ]; then echo "$1"; else echo "$2"; fi; }
build_limit=1800

# step SECONDS NAME CMD…: runs one comparison (CMD: a command or a function of this script) under
# a time limit, times it, notes a failure without stopping the run.
step() {
  local secs=$1 name=$2 t0 rc=0
  shift 2
  t0=$(date +%s.%N)
  log "── $name (limit $secs s)"
  target/bench/watchdog.sh "$secs" "$name" bash -c '"$@"' step "$@" || rc=$?
  python3 - "$name" "$t0" "$rc" "$results/timings.json" <<'PY'
import json, sys, time, pathlib
p = pathlib.Path(sys.argv[4])
d = json.loads(p.read_text()) if p.exists() else {}
d[sys.argv[1]] = {"seconds": round(time.time() - float(sys.argv[2]), 1), "exit": int(sys.argv[3])}
p.write_text(json.dumps(d, indent=2) + "\n")
PY
  if [ "$rc" != 0 ]; then
    log "$name FAILED (exit $rc); going on"
    echo "$name (exit $rc)" >>"$status_file"
  fi
  return 0
}

# The peers benchmark binary, built once and copied, so that a later edit of the tree by someone
# else does not rebuild it in the middle of the run (and it runs from the repository root).
build_peers() {
  local exe
  exe=$(cargo bench -q -p sharedpool --bench peers --no-run --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "peers" and m.get("executable"):
        print(m["executable"])') || return 1
  [ -n "$exe" ] && cp "$exe" target/bench/peers
}

peers() { target/bench/peers "$@"; }

python_peers() {
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || return 1
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  # The Python comparisons' peers, and matplotlib for the plots.
  "$venv/bin/python" -m pip install -q matplotlib SQLAlchemy PyMySQL mysql-connector-python \
    mysqlclient DBUtils aiomysql 'maturin>=1.9,<2' || return 1
  # sharedpool's own Python package, linked to the library `make lib` built.
  SHAREDPOOL_LIB_DIR="$PWD/target/release" "$venv/bin/python" -m pip install -q --force-reinstall --no-deps \
    ./bindings/python
}

build_c() {
  gcc -O2 -Wall -Wextra -Werror -pthread benches/c/select1.c -Iinclude $(pkg-config --cflags libmariadb) \
    -Ltarget/release -lsharedpool -Wl,-rpath,"$PWD/target/release" $(pkg-config --libs libmariadb) \
    -o target/bench/select1
}

python_select1() {
  if [ ! -f benches/python/bench_select1.py ]; then
    log "benches/python/bench_select1.py is missing (the Python binding's benchmark): skipped"
    return 1
  fi
  # The script always writes benches/results/python.json; in a QUICK run, move its output to the
  # quick folder and put the committed file back.
  local theirs=benches/results/python.json keep=target/bench/python.json.keep rc=0
  [ "$results" != benches/results ] && [ -f "$theirs" ] && cp "$theirs" "$keep"
  "$venv/bin/python" benches/python/bench_select1.py || rc=$?
  if [ "$results" != benches/results ]; then
    [ -f "$theirs" ] && mv "$theirs" "$results/python.json"
    [ -f "$keep" ] && mv "$keep" "$theirs"
  fi
  return $rc
}

go_select1() {
  if [ ! -f benches/go/main.go ]; then
    log "benches/go is missing (the Go binding's benchmark): skipped"
    return 1
  fi
  (cd benches/go && go run . -out "$OLDPWD/$results/go.json")
}

# The watchdog runs a step in a new bash: it needs this script's functions.
export -f log peers build_peers python_peers build_c python_select1 go_select1

server_phase() {
  [ -n "${SHAREDPOOL_TEST_DSN:-}" ] || { log "no SHAREDPOOL_TEST_DSN: run through tests/mariadb.sh"; exit 1; }
  # Today's longest step takes 200 s in full mode, 60 s in quick mode, on a loaded machine.
  local bench_limit
  bench_limit=$(limit 300 900)
  step "$bench_limit" "select1 C (C ABI vs raw libmariadb)" target/bench/select1 "${quick[@]}" --out "$results/select1_c.json"
  step "$bench_limit" "select1 Rust (sharedpool vs r2d2+mysql vs raw)" peers select1 "${quick[@]}" --out "$results/select1_rust.json"
  step "$bench_limit" "select1 Python (benches/python)" python_select1
  step "$bench_limit" "select1 Python asyncio (sharedpool.aio vs aiomysql)" "$venv/bin/python" benches/python/bench_aio.py "${quick[@]}" --out "$results/aio.json"
  step "$bench_limit" "select1 Go (benches/go)" go_select1
  step "$bench_limit" "autoscaler" peers autoscaler "${quick[@]}" --out "$results/autoscaler.json"
  # The storm: at most 30 s a storm (its budget), 8 storms in quick mode, 30 otherwise.
  step "$(limit 600 1500)" "storm" peers storm "${quick[@]}" --out "$results/storm.json"
  step "$bench_limit" "reset cost" "$venv/bin/python" benches/reset_cost.py "${quick[@]}" --out "$results/reset_cost.json"
  # Fleets: 12 (busy) and 20 (idle) processes a contender, each with its own pool; about 60 s in
  # quick mode, 4 min otherwise. The Go contender is built from benches/go into target/bench.
  step "$bench_limit" "fleet" "$venv/bin/python" benches/fleet.py "${quick[@]}" --out "$results/fleet.json"
}

if [ "${1:-}" = server ]; then
  server_phase
  exit 0
fi

t_start=$(date +%s)
rm -f "$status_file" "$results/timings.json"
# The load before the run: the report's closing load average includes the benchmarks' own threads.
python3 -c 'import json, os, sys
print(json.dumps({"load_at_start": ", ".join(f"{x:.2f}" for x in os.getloadavg()), "commit": sys.argv[1]}))' \
  "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" >"$results/timings.json"
log "QUICK=$QUICK; results in $results, report in $out_dir/RESULTS.md"
step "$build_limit" "build: make lib" make lib
step "$build_limit" "build: peers (cargo, crates.io)" build_peers
step 300 "build: benches/c/select1.c" build_c
step "$build_limit" "install: Python peers and sharedpool into $venv (PyPI)" python_peers
step "$(limit 300 900)" "engine (no I/O)" peers engine "${quick[@]}" --out "$results/engine.json"
# A private copy of the server script: bash reads a script as it runs, so an edit of
# tests/mariadb.sh during a long run would otherwise break it.
cp tests/mariadb.sh target/bench/mariadb.sh
step "$(limit 2700 7200)" "server comparisons (one throwaway MariaDB)" target/bench/mariadb.sh run benches/run.sh server
python3 - "$t_start" "$results/timings.json" <<'PY'
import json, sys, time, pathlib
p = pathlib.Path(sys.argv[2])
d = json.loads(p.read_text()) if p.exists() else {}
d["total"] = {"seconds": round(time.time() - float(sys.argv[1]), 1), "exit": 0}
p.write_text(json.dumps(d, indent=2) + "\n")
PY
report_py=python3
[ -x "$venv/bin/python" ] && report_py="$venv/bin/python"
step 300 "report" "$report_py" benches/report.py
log "done in $(($(date +%s) - t_start)) s; report: $out_dir/RESULTS.md"
if [ -s "$status_file" ]; then
  log "these steps failed:"
  sed 's/^/  /' "$status_file" >&2
  exit 1
fi
