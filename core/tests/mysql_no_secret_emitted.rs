//! The password never appears in anything the library emits: errors (Display and Debug) from
//! every kind of failure, events (what reaches log callbacks and the `log` crate), `Debug` of
//! pools, connections, DSNs and options, pool keys and labels, and the metrics text.

mod mysql_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sharedpool::mysql::Dsn;
use sharedpool::{events, ErrorKind};

use mysql_common::{admin, dsn};

const PASSWORD: &str = "sp-secret";

#[test]
fn the_password_is_in_nothing_the_library_emits() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = seen.clone();
    events::set_sink(Box::new(move |e| {
        sink.lock().unwrap().push(format!("{e} {e:?}"));
    }));
    let out: std::cell::RefCell<Vec<String>> = Default::default();
    let err =
        |what: &str, e: sharedpool::Error| out.borrow_mut().push(format!("{what}: {e} {e:?}"));

    let base = dsn();
    let with = |q: &str| format!("{base}?{q}");
    // A wrong password, with the right one's text in it.
    let wrong = base.replace(PASSWORD, &format!("{PASSWORD}-wrong"));
    err("auth", sharedpool::open(&wrong, &[]).unwrap_err());
    // Nothing listening, a bad option, a bad DSN around the password, a config conflict.
    let dead = base.replace(
        &format!(
            "@127.0.0.1:{}",
            std::env::var("SHAREDPOOL_TEST_PORT").unwrap()
        ),
        "@127.0.0.1:1",
    );
    let p = sharedpool::open(
        &format!("{dead}?connect_timeout_ms=1000&acquire_timeout_ms=1500"),
        &[],
    );
    match p {
        Ok(p) => err("unreachable", p.acquire().map(|_| ()).unwrap_err()),
        Err(e) => err("unreachable", e),
    }
    err(
        "option",
        sharedpool::open(&with("max_size=zero"), &[]).unwrap_err(),
    );
    err(
        "unknown",
        sharedpool::open(&with("passwd=x"), &[]).unwrap_err(),
    );
    err(
        "dsn",
        sharedpool::open(&base.replace("/sp", "/sp/x"), &[]).unwrap_err(),
    );
    err(
        "go dsn",
        Dsn::parse(&format!("sp:{PASSWORD}@tcp(127.0.0.1:1")).unwrap_err(),
    );
    let a = sharedpool::open(
        &with("max_size=1&pool_name=secret_emit&leak_detection_ms=20&acquire_timeout_ms=200"),
        &[],
    )
    .unwrap();
    err(
        "conflict",
        sharedpool::open(&with("max_size=2&pool_name=secret_emit"), &[]).unwrap_err(),
    );
    // A timeout and a leak warning while the one connection is held, a server error on it,
    // then the connection killed under it.
    let mut held = a.acquire().unwrap();
    let timeout = a.acquire().map(|_| ()).unwrap_err();
    assert_eq!(timeout.kind(), ErrorKind::Timeout);
    err("timeout", timeout);
    err(
        "server",
        held.query("SELECT * FROM no_such_table", &[]).unwrap_err(),
    );
    std::thread::sleep(Duration::from_millis(100));
    out.borrow_mut()
        .push(format!("{held:?} {a:?} {:?}", a.config()));
    let id = held.connection_id();
    admin().query(&format!("KILL {id}"), &[]).unwrap();
    err("killed", held.query("SELECT 1", &[]).unwrap_err());
    drop(held);
    let (d, o) = Dsn::parse_with_options(&base, &[]).unwrap();
    let key = d.key(&o);
    out.borrow_mut()
        .push(format!("{d:?} {o:?} {} {}", key.id, key.label));
    out.borrow_mut().push(sharedpool::metrics_text());
    drop(a);
    std::thread::sleep(Duration::from_millis(100));
    events::clear_sink();

    let events = seen.lock().unwrap().clone();
    assert!(
        events.iter().any(|e| e.contains("secret_emit")),
        "events were emitted: {events:?}"
    );
    let out = out.into_inner();
    assert!(out.len() >= 12);
    for text in out.iter().chain(&events) {
        assert!(!text.contains(PASSWORD), "the password in: {text}");
    }
}
