//! The password is kept once in process memory while a pool is open (to reconnect), and nowhere
//! once the pool has closed: no copy in freed memory, none in the client library's handles.
//!
//! The password never exists here in clear outside the DSN buffer handed to `open`: the test
//! keeps it XOR-masked, creates the user by piping the SQL byte by byte to the `mariadb` client,
//! and scans its own memory for the unmasked bytes.

mod mysql_common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroize;

const MASK: u8 = 0x5a;

/// Runs `sql` as root over the server's socket; `{pw}` in it is the masked password, unmasked
/// one byte at a time into the pipe.
fn root_sql(sql: &str, pw: &[u8]) {
    let socket = std::env::var("SHAREDPOOL_TEST_SOCKET").expect("SHAREDPOOL_TEST_SOCKET");
    let mut child = Command::new("mariadb")
        .args(["--no-defaults", "-uroot", "--connect-timeout=10"])
        .arg(format!("--socket={socket}"))
        .stdin(Stdio::piped())
        .spawn()
        .expect("the mariadb client");
    let mut stdin = child.stdin.take().unwrap();
    let (head, tail) = sql.split_once("{pw}").unwrap_or((sql, ""));
    stdin.write_all(head.as_bytes()).unwrap();
    if sql.contains("{pw}") {
        for &b in pw {
            stdin.write_all(&[b ^ MASK]).unwrap();
        }
    }
    stdin.write_all(tail.as_bytes()).unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success(), "mariadb client failed");
}

/// How many times the unmasked password appears in this process's readable memory.
fn copies_in_memory(pw: &[u8]) -> usize {
    const CHUNK: usize = 1 << 20;
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mem = std::fs::File::open("/proc/self/mem").unwrap();
    // One buffer, never reallocated (a reallocation would leave a copy of what it read in
    // freed memory); hits inside it are its own copy and don't count.
    let mut buf = vec![0u8; CHUNK + pw.len()];
    let own = buf.as_ptr() as u64..buf.as_ptr() as u64 + buf.len() as u64;
    let mut found = 0;
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let (range, perms) = (f.next().unwrap(), f.next().unwrap());
        let name = f.nth(3).unwrap_or("");
        if !perms.starts_with('r') || name.starts_with("[v") {
            continue;
        }
        let (a, b) = range.split_once('-').unwrap();
        let (a, b) = (
            u64::from_str_radix(a, 16).unwrap(),
            u64::from_str_radix(b, 16).unwrap(),
        );
        // Chunks overlapping by pw.len() - 1 bytes, so no copy is split between two.
        let mut at = a;
        while at < b {
            let n = ((b - at) as usize).min(CHUNK + pw.len() - 1);
            let chunk = &mut buf[..n];
            if std::os::unix::fs::FileExt::read_exact_at(&mem, chunk, at).is_err() {
                break;
            }
            found += chunk
                .windows(pw.len())
                .enumerate()
                .filter(|(i, w)| {
                    w.iter().zip(pw).all(|(x, m)| x ^ MASK == *m)
                        && !own.contains(&(at + *i as u64))
                })
                .count();
            at += CHUNK as u64;
        }
    }
    buf.zeroize();
    found
}

#[test]
fn one_copy_of_the_password_while_open_none_after_close() {
    // 24 random letters, masked; a throwaway user with that password.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut x = seed | 1;
    let pw: Vec<u8> = (0..24)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (b'a' + (x % 26) as u8) ^ MASK
        })
        .collect();
    let user = format!("secret{}", seed % 1_000_000);
    root_sql(
        &format!(
            "CREATE USER '{user}'@'%' IDENTIFIED BY '{{pw}}'; GRANT ALL ON sp.* TO '{user}'@'%';"
        ),
        &pw,
    );
    assert_eq!(copies_in_memory(&pw), 0, "before open");

    let port = std::env::var("SHAREDPOOL_TEST_PORT").expect("SHAREDPOOL_TEST_PORT");
    // The caller's DSN buffer, filled in place (no reallocation leaves a copy behind).
    let mut dsn = String::with_capacity(256);
    dsn.push_str(&format!("mysql://{user}:"));
    for &b in &pw {
        dsn.push((b ^ MASK) as char);
    }
    dsn.push_str(&format!(
        "@127.0.0.1:{port}/sp?min_idle=2&pool_name=secrets"
    ));
    let pool = sharedpool::open(&dsn, &[]).expect("open with the new user");
    dsn.zeroize();
    for _ in 0..20 {
        let mut conn = pool.acquire().unwrap();
        conn.query("SET @x = 1", &[]).unwrap(); // dirty: a reset on return
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while pool.stats().total < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        copies_in_memory(&pw),
        1,
        "while open: only the pool's own copy (it reconnects with it)"
    );

    drop(pool);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut left = copies_in_memory(&pw);
    while left > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        left = copies_in_memory(&pw);
    }
    assert_eq!(left, 0, "after the pool closed");
    root_sql(&format!("DROP USER '{user}'@'%';"), &[]);
}
