//! A pooled connection killed on the server: the next borrower gets a working connection or
//! a clear error, never a hang, and the pool recovers.

mod mysql_common;

use sharedpool::ErrorKind;

use mysql_common::{admin, dsn_with};

#[test]
fn killed_connection_is_replaced() {
    for validation in ["0", "600000"] {
        let pool = sharedpool::open(
            &dsn_with(&format!(
                "max_size=1&pool_name=kill{validation}&validation_idle_ms={validation}&acquire_timeout_ms=5000"
            )),
            &[],
        )
        .unwrap();
        let id = pool.query("SELECT CONNECTION_ID()", &[]).unwrap();
        let id = id.get_str(0, 0).unwrap().to_string();
        admin().query(&format!("KILL {id}"), &[]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut errors = 0;
        let new_id = loop {
            match pool.query("SELECT CONNECTION_ID()", &[]) {
                Ok(r) => break r.get_str(0, 0).unwrap().to_string(),
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::ConnectionLost, "{e}");
                    errors += 1;
                    assert!(errors < 2, "the broken connection was handed out twice");
                }
            }
        };
        assert_ne!(new_id, id);
        if validation == "0" {
            assert_eq!(
                errors, 0,
                "a ping before hand-out catches the killed connection"
            );
        }
        let stats = pool.stats();
        assert_eq!(stats.total, 1, "{stats:?}");
        assert!(stats.closed_broken_total >= 1, "{stats:?}");
    }
}

#[test]
fn killed_mid_query_marks_the_connection_broken() {
    let pool = sharedpool::open(&dsn_with("max_size=2&pool_name=killq"), &[]).unwrap();
    let mut c = pool.acquire().unwrap();
    let id = c.connection_id();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        admin().query(&format!("KILL {id}"), &[]).unwrap();
    });
    let e = c.query("SELECT SLEEP(20)", &[]);
    killer.join().unwrap();
    // MariaDB answers a killed SLEEP with either an error or the value 1 (interrupted);
    // either way the next statement must fail clearly, not hang.
    let e = match e {
        Err(e) => e,
        Ok(_) => c.query("SELECT 1", &[]).unwrap_err(),
    };
    assert_eq!(e.kind(), ErrorKind::ConnectionLost, "{e}");
    assert!(c.is_broken());
    drop(c);
    assert_eq!(
        pool.query("SELECT 1", &[]).unwrap().get_str(0, 0),
        Some("1")
    );
    assert!(pool.stats().closed_broken_total >= 1);
}
