//! The DSN parameter table (tests/data/dsn_params.tsv, shared with the Go suite): every
//! go-sql-driver parameter and the library's own options, in both DSN forms, with their
//! values, no-ops, refusals and bad values; then passwords with the characters DSNs care about.

use sharedpool::mysql::Dsn;
use sharedpool::{ErrorKind, Options};

const TABLE: &str = include_str!("../../tests/data/dsn_params.tsv");

fn field(o: &Options, name: &str) -> String {
    let ms = |d: std::time::Duration| d.as_millis().to_string();
    let (p, s) = (&o.pool, &o.session);
    if let Some(var) = name.strip_prefix("var:") {
        return s
            .variables
            .iter()
            .find(|(k, _)| k == var)
            .map_or("unset".into(), |(_, v)| v.clone());
    }
    match name {
        "connect_timeout_ms" => ms(p.connect_timeout),
        "read_timeout_ms" => ms(p.read_timeout),
        "write_timeout_ms" => ms(p.write_timeout),
        "acquire_timeout_ms" => ms(p.acquire_timeout),
        "max_size" => p.max_size.to_string(),
        "min_idle" => p.min_idle.to_string(),
        "adaptive" => p.adaptive.to_string(),
        "headroom" => p.headroom.to_string(),
        "charset" => s.charset.clone(),
        "tls" => s.tls.as_str().into(),
        "client_found_rows" => s.client_found_rows.to_string(),
        "reject_read_only" => s.reject_read_only.to_string(),
        "max_allowed_packet" => s
            .max_allowed_packet
            .map_or("default".into(), |n| n.to_string()),
        "init_sql" => s.init_sql.clone().unwrap_or_default(),
        "pool_name" => o.pool_name.clone().unwrap_or_default(),
        "on_conflict" => format!("{:?}", o.on_conflict).to_lowercase(),
        _ => panic!("the table names an unknown field {name}"),
    }
}

/// (query, outcome, detail) rows of the table.
fn rows() -> Vec<(&'static str, &'static str, &'static str)> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut c = l.split('\t');
            let q = c.next().unwrap();
            let outcome = c.next().unwrap_or_else(|| panic!("no outcome: {l:?}"));
            (q, outcome, c.next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn every_row_in_both_dsn_forms() {
    let rows = rows();
    assert!(rows.len() >= 100, "{} rows", rows.len());
    let mut checked = 0;
    for (query, outcome, detail) in rows {
        for form in [
            format!("mysql://sp:s%40cr%3At@db.example:3306/sp?{query}"),
            format!("sp:s@cr:t@tcp(db.example:3306)/sp?{query}"),
        ] {
            let got = Dsn::parse_with_options(&form, &[]);
            match (outcome, got) {
                ("ok", Ok((d, o))) => {
                    assert_eq!(*d.password, "s@cr:t", "{form}");
                    for pair in detail.split(';') {
                        let (name, want) = pair.split_once('=').unwrap();
                        assert_eq!(field(&o, name), want, "{form}: {name}");
                    }
                }
                ("noop", Ok((_, o))) => {
                    let d = Options::default();
                    assert!(o.pool == d.pool && o.session == d.session, "{form}: {o:?}");
                }
                ("refused" | "invalid", Err(e)) => {
                    let kinds: &[ErrorKind] = if outcome == "refused" {
                        &[ErrorKind::InvalidOption]
                    } else {
                        &[ErrorKind::InvalidOption, ErrorKind::InvalidDsn]
                    };
                    assert!(kinds.contains(&e.kind()), "{form}: {e}");
                    assert!(e.message().contains(detail), "{form}: {e}");
                    assert!(!e.message().contains("cr:t"), "{form}: the password in {e}");
                }
                (outcome, got) => panic!("{form}: expected {outcome}, got {got:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 200, "{checked} DSNs checked");
}

#[test]
fn passwords_with_the_characters_dsns_care_about() {
    for pw in [
        "p@ss", "p:ss", "p/ss", "p?ss", "p&ss", "p=ss", "p#ss", "p%ss", "p+ss", "p ss", "@:/?&=",
        "ünï✓", "", "p@ss@", "::", "a(b)c",
    ] {
        let enc: String = pw
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let url = format!("mysql://app:{enc}@db.example:3306/metrics?max_size=3");
        let (d, o) = Dsn::parse_with_options(&url, &[]).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!((d.user.as_str(), d.password.as_str()), ("app", pw), "{url}");
        assert_eq!(d.database.as_deref(), Some("metrics"));
        assert_eq!(o.pool.max_size, 3);
        if pw.contains(['/', '?', '#', '%', '(', ')']) {
            continue; // The Go form takes the password unencoded, up to the address marker.
        }
        let go = format!("app:{pw}@tcp(db.example:3306)/metrics?max_size=3");
        let (d, _) = Dsn::parse_with_options(&go, &[]).unwrap_or_else(|e| panic!("{go}: {e}"));
        assert_eq!((d.user.as_str(), d.password.as_str()), ("app", pw), "{go}");
        assert_eq!(d.database.as_deref(), Some("metrics"), "{go}");
    }
}
