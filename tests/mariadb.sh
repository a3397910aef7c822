#!/usr/bin/env bash
# A throwaway MariaDB for the tests, in a temporary folder on a free loopback port.
#
#   tests/mariadb.sh run CMD [ARGS…]   start a server, run CMD with SHAREDPOOL_TEST_DSN set, stop it
#   tests/mariadb.sh install           install the Debian packages when missing
#
# When SHAREDPOOL_TEST_DSN is already set, `run` uses that server and starts none.
# CMD also sees SHAREDPOOL_TEST_SOCKET, SHAREDPOOL_TEST_PORT, SHAREDPOOL_TEST_DATADIR and
# SHAREDPOOL_TEST_RESTART (a command that restarts the server on the same port and data).
# The test user `sp` (password `sp-secret`) has every privilege; databases `sp` and `sp_other` exist.
# SHAREDPOOL_TEST_TLS=1: the server also speaks TLS, with a throwaway CA whose certificate is
# exported as SHAREDPOOL_TEST_TLS_CA (server certificate for IP 127.0.0.1 and localhost), and an
# unrelated CA as SHAREDPOOL_TEST_TLS_OTHER_CA.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

install_packages() {
  if command -v mariadbd >/dev/null && [ -f /usr/include/mariadb/mysql.h ] && command -v mariadb >/dev/null && command -v pkg-config >/dev/null; then
    return 0
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "mariadb.sh: installing mariadb-server, mariadb-client, libmariadb-dev, pkg-config" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mariadb-server mariadb-client libmariadb-dev pkg-config >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

make_certs() {
  # $1 = datadir: a CA and a server certificate for 127.0.0.1/localhost, valid two days.
  local d=$1/tls
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sharedpool test CA" \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server-key.pem" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
    -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
  # A second, unrelated CA: verification against it must fail.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sharedpool wrong CA" \
    -keyout "$d/other-ca-key.pem" -out "$d/other-ca.pem" 2>/dev/null
}

start_server() {
  # $1 = datadir, $2 = port; waits until the server answers.
  local dir=$1 port=$2 user_opt=() tls_opt=()
  [ "$(id -u)" = 0 ] && user_opt=(--user=root)
  [ -f "$dir/tls/server.pem" ] && tls_opt=(--ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server.pem" --ssl-key="$dir/tls/server-key.pem")
  mariadbd --no-defaults "${user_opt[@]}" "${tls_opt[@]}" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --pid-file="$dir/mysqld.pid" --port="$port" --bind-address=127.0.0.1 \
    --skip-name-resolve --max-connections=500 --max-connect-errors=1000000 \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --skip-log-bin \
    --log-error="$dir/error.log" >/dev/null 2>&1 &
  echo $! >"$dir/server.pid"
  for _ in $(seq 1 300); do
    if timeout 10 mariadb --no-defaults --connect-timeout=5 -uroot --socket="$dir/mysqld.sock" -e 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
      echo "mariadb.sh: the server died while starting; its log:" >&2
      tail -30 "$dir/error.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "mariadb.sh: the server did not answer within 30 s; its log:" >&2
  tail -30 "$dir/error.log" >&2
  return 1
}

stop_server() {
  local dir=$1
  [ -f "$dir/server.pid" ] || return 0
  local pid
  pid=$(cat "$dir/server.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/server.pid"
}

run() {
  if [ -n "${SHAREDPOOL_TEST_DSN:-}" ]; then
    "$@"
    return
  fi
  install_packages
  local port rc=0
  sp_dir=$(mktemp -d "${TMPDIR:-/tmp}/sharedpool-mariadb.XXXXXX"); local dir=$sp_dir
  port=$(free_port)
  # bash runs the EXIT trap on TERM/INT/HUP too: a watchdog killing CMD stops the server.
  trap 'stop_server "$sp_dir"; rm -rf "$sp_dir"' EXIT
  mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=socket \
    $([ "$(id -u)" = 0 ] && echo --user=root) >"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; return 1; }
  if [ "${SHAREDPOOL_TEST_TLS:-0}" = 1 ]; then
    make_certs "$dir"
    export SHAREDPOOL_TEST_TLS_CA="$dir/tls/ca.pem" SHAREDPOOL_TEST_TLS_OTHER_CA="$dir/tls/other-ca.pem"
  fi
  start_server "$dir" "$port"
  # Bounded like every connection of the tests: a server that stops answering fails the run.
  timeout 60 mariadb --no-defaults --connect-timeout=10 -uroot --socket="$dir/mysqld.sock" <<'SQL'
CREATE DATABASE sp;
CREATE DATABASE sp_other;
CREATE USER 'sp'@'127.0.0.1' IDENTIFIED BY 'sp-secret';
CREATE USER 'sp'@'localhost' IDENTIFIED BY 'sp-secret';
GRANT ALL PRIVILEGES ON *.* TO 'sp'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'sp'@'localhost' WITH GRANT OPTION;
SQL
  export SHAREDPOOL_TEST_DSN="mysql://sp:sp-secret@127.0.0.1:$port/sp"
  export SHAREDPOOL_TEST_PORT=$port SHAREDPOOL_TEST_SOCKET="$dir/mysqld.sock" SHAREDPOOL_TEST_DATADIR="$dir"
  export SHAREDPOOL_TEST_RESTART="$here/mariadb.sh restart $dir $port"
  echo "mariadb.sh: MariaDB on 127.0.0.1:$port ($dir)" >&2
  "$@" || rc=$?
  return $rc
}

case "${1:-}" in
  install) install_packages ;;
  run) shift; run "$@" ;;
  restart) stop_server "$2"; start_server "$2" "$3" ;;
  *) echo "usage: $0 run CMD [ARGS…] | install" >&2; exit 2 ;;
esac
