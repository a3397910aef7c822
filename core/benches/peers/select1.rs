//! End-to-end `SELECT 1` over loopback, closed loop, `max_size=8` for the pools:
//! one dedicated raw libmariadb connection per client (the floor), sharedpool through its Rust
//! API, and r2d2 over the `mysql` crate: with r2d2's defaults (a ping on every checkout) and
//! without that check (`r2d2-nocheck`). The server's own counts come from `SHOW GLOBAL STATUS`.

use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use serde_json::{json, Value};

use crate::common::{closed_loop, guarded, ns_since, Args, Sample};
use crate::raw::{delta, RawConn, Server, Target, TIMEOUT};

const MODES: [&str; 4] = ["raw", "sharedpool", "r2d2", "r2d2-nocheck"];
pub const MAX_SIZE: u32 = 8;

/// r2d2 over one `mysql::Conn`, as r2d2_mysql does (a ping as the validity check).
pub struct MysqlCrateManager(pub mysql::Opts);

impl r2d2::ManageConnection for MysqlCrateManager {
    type Connection = mysql::Conn;
    type Error = mysql::Error;
    fn connect(&self) -> Result<mysql::Conn, mysql::Error> {
        mysql::Conn::new(self.0.clone())
    }
    fn is_valid(&self, conn: &mut mysql::Conn) -> Result<(), mysql::Error> {
        conn.ping()
    }
    fn has_broken(&self, _: &mut mysql::Conn) -> bool {
        false
    }
}

/// `mysql` crate options for the target, over TCP like the others (the crate would
/// otherwise switch to the Unix socket it finds).
pub fn mysql_crate_opts(t: &Target) -> mysql::Opts {
    let opts = mysql::Opts::from_url(&t.dsn).expect("the DSN parses as a mysql crate URL");
    mysql::OptsBuilder::from_opts(opts)
        .prefer_socket(false)
        .tcp_connect_timeout(Some(TIMEOUT))
        .read_timeout(Some(TIMEOUT))
        .write_timeout(Some(TIMEOUT))
        .into()
}

fn measure(mode: &str, t: &Target, clients: usize, warm: Duration, dur: Duration) -> Sample {
    match mode {
        "raw" => closed_loop(
            clients,
            warm,
            dur,
            |_| RawConn::connect(t).expect("raw connect"),
            |c| {
                let t0 = Instant::now();
                c.query("SELECT 1").map_err(|e| e.to_string())?;
                Ok(ns_since(t0))
            },
        ),
        "sharedpool" => {
            let max = MAX_SIZE.to_string();
            let pool = sharedpool::open(
                &t.dsn,
                &[("max_size", &max), ("pool_name", "bench-select1")],
            )
            .expect("sharedpool::open");
            closed_loop(
                clients,
                warm,
                dur,
                |_| (),
                |_| {
                    let t0 = Instant::now();
                    let mut c = pool.acquire().map_err(|e| e.to_string())?;
                    c.query("SELECT 1", &[]).map_err(|e| e.to_string())?;
                    drop(c);
                    Ok(ns_since(t0))
                },
            )
        }
        "r2d2" | "r2d2-nocheck" => {
            let pool = r2d2::Pool::builder()
                .max_size(MAX_SIZE)
                .test_on_check_out(mode == "r2d2")
                .connection_timeout(Duration::from_secs(60))
                .build(MysqlCrateManager(mysql_crate_opts(t)))
                .expect("r2d2 pool over the mysql crate");
            closed_loop(
                clients,
                warm,
                dur,
                |_| (),
                |_| {
                    let t0 = Instant::now();
                    let mut c = pool.get().map_err(|e| e.to_string())?;
                    let v: Option<i64> = c.query_first("SELECT 1").map_err(|e| e.to_string())?;
                    std::hint::black_box(v);
                    drop(c);
                    Ok(ns_since(t0))
                },
            )
        }
        other => unreachable!("unknown mode {other}"),
    }
}

pub fn run(args: &Args) -> Value {
    let t = Target::from_env();
    let (clients_list, warm, dur): (&[usize], _, _) = if args.quick {
        (
            &[1, 16, 64],
            Duration::from_millis(100),
            Duration::from_millis(300),
        )
    } else {
        (
            &[1, 4, 16, 64, 256],
            Duration::from_millis(300),
            Duration::from_millis(1500),
        )
    };
    let mut server = Server::connect(&t);
    let mut rows = Vec::new();
    let mut broken: Vec<(String, String)> = Vec::new();
    for rep in 0..args.reps {
        for &clients in clients_list {
            for k in 0..MODES.len() {
                let mode = MODES[(k + rep) % MODES.len()];
                if broken.iter().any(|(m, _)| m == mode) {
                    continue;
                }
                std::thread::sleep(Duration::from_millis(100)); // let the last run's connections go
                server.query("FLUSH STATUS");
                let before = server.status();
                let result = guarded(|| measure(mode, &t, clients, warm, dur)).and_then(|s| {
                    if s.ops == 0 {
                        Err(s
                            .first_error
                            .clone()
                            .unwrap_or_else(|| "no operation completed".into()))
                    } else {
                        Ok(s)
                    }
                });
                match result {
                    Ok(s) => {
                        let after = server.status();
                        let mut row = s.to_json();
                        row["mode"] = json!(mode);
                        row["clients"] = json!(clients);
                        row["rep"] = json!(rep);
                        row["server"] = json!({
                            "connections": delta(&before, &after, "Connections"),
                            "max_used_connections": after.get("Max_used_connections").copied().unwrap_or(0) - 1,
                            "threads_created": delta(&before, &after, "Threads_created"),
                        });
                        rows.push(row);
                    }
                    Err(e) => {
                        eprintln!("peers select1: {mode} failed, skipped from now on: {e}");
                        broken.push((mode.to_string(), e));
                    }
                }
            }
        }
        eprintln!(
            "peers select1: repetition {} of {} done",
            rep + 1,
            args.reps
        );
    }
    json!({
        "bench": "select1",
        "language": "rust",
        "what": "SELECT 1 closed loop; raw = one libmariadb connection per client (floor); pools max_size=8; r2d2 with its defaults (a ping on every checkout) and r2d2-nocheck without that ping",
        "max_size": MAX_SIZE,
        "measure_ms": dur.as_millis() as u64,
        "note": "server.max_used_connections excludes the benchmark's own status connection",
        "rows": rows,
        "failed": broken.iter().map(|(m, e)| json!({"mode": m, "error": e})).collect::<Vec<_>>(),
    })
}
