//! Helpers shared by the real-server tests: the test DSN and a direct admin connection.
#![allow(dead_code)]

use sharedpool::mysql::{Connection, Dsn};
use sharedpool::Options;

/// The test server's DSN. Panics (never skips) when it is not set.
pub fn dsn() -> String {
    std::env::var("SHAREDPOOL_TEST_DSN").unwrap_or_else(|_| {
        panic!(
            "SHAREDPOOL_TEST_DSN is not set: run the MySQL tests through \
             `tests/mariadb.sh run cargo test -p sharedpool --test 'mysql_*'`"
        )
    })
}

/// The test DSN with `query` appended (`a=b&c=d`).
pub fn dsn_with(query: &str) -> String {
    let d = dsn();
    let sep = if d.contains('?') { '&' } else { '?' };
    format!("{d}{sep}{query}")
}

/// A connection outside any pool, for looking at what the server sees.
pub fn admin() -> Connection {
    let d = Dsn::parse(&dsn()).expect("test DSN parses");
    Connection::connect(&d, &Options::default()).expect("admin connection")
}

/// A single-value query on `c`, as text.
pub fn scalar(c: &mut Connection, sql: &str) -> Option<String> {
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.get_str(0, 0).map(str::to_string)
}

/// A global status counter.
pub fn status(c: &mut Connection, name: &str) -> u64 {
    let r = c
        .query(
            "SHOW GLOBAL STATUS LIKE ?",
            &[sharedpool::mysql::Param::Text(name.as_bytes())],
        )
        .unwrap();
    r.get_str(0, 1).unwrap().parse().unwrap()
}

/// Connections the server has for user `sp`, minus the one asking. Reads SHOW PROCESSLIST:
/// information_schema.PROCESSLIST materializes a temporary table, and MariaDB 10.11 was seen
/// to crash doing that under connection churn.
pub fn sp_connections(c: &mut Connection) -> u64 {
    let r = c.query("SHOW PROCESSLIST", &[]).expect("SHOW PROCESSLIST");
    let user = r
        .columns()
        .iter()
        .position(|col| col.name.eq_ignore_ascii_case("user"))
        .expect("SHOW PROCESSLIST has a User column");
    let sp = (0..r.row_count())
        .filter(|&row| r.get_str(row, user) == Some("sp"))
        .count() as u64;
    sp - 1
}

/// The test server's process id.
pub fn server_pid() -> i32 {
    let dir = std::env::var("SHAREDPOOL_TEST_DATADIR").expect("SHAREDPOOL_TEST_DATADIR");
    std::fs::read_to_string(format!("{dir}/server.pid"))
        .expect("the server's pid file")
        .trim()
        .parse()
        .expect("a pid")
}

/// Sends `sig` to the test server.
pub fn signal(sig: i32) {
    // SAFETY: kill has no memory preconditions; the pid is the test server's.
    assert_eq!(unsafe { libc::kill(server_pid(), sig) }, 0, "kill({sig})");
}

/// Sends SIGCONT when dropped, so a failing test never leaves the server stopped.
pub struct Resume;
impl Drop for Resume {
    fn drop(&mut self) {
        signal(libc::SIGCONT);
    }
}
