//! Property fuzzing of the DSN and option parsers (stable Rust, proptest): any input gets a
//! result, never a panic; a parsed DSN round-trips its password; no error, `Debug` output, label
//! or pool key ever contains the password. Structured DSNs (both grammars) are generated and then
//! mutated byte by byte, so inputs reach deep into the grammar as well as its edges.
//!
//! `SHAREDPOOL_FUZZ_CASES` sets the number of cases per property (default 5 000; the closing
//! note of the fuzzing work records a run of 10 M).

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sharedpool::mysql::Dsn;
use sharedpool::{Options, OPTION_NAMES};

/// Every generated password carries this marker, found nowhere else in the inputs.
const MARKER: &str = "Zq9X";

fn cases() -> u32 {
    std::env::var("SHAREDPOOL_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000)
}

fn password() -> impl Strategy<Value = String> {
    // Characters that DSN grammars care about, and some that are not ASCII.
    let ch = prop_oneof![
        Just('@'),
        Just(':'),
        Just('/'),
        Just('?'),
        Just('&'),
        Just('='),
        Just('%'),
        Just('#'),
        Just('+'),
        Just('('),
        Just(')'),
        Just(' '),
        Just('é'),
        Just('✓'),
        proptest::char::range('a', 'z'),
    ];
    proptest::collection::vec(ch, 0..12).prop_map(|mut v| {
        let mid = v.len() / 2;
        v.splice(mid..mid, MARKER.chars());
        v.into_iter().collect()
    })
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("true".to_string()),
        Just("reuse".to_string()),
        Just("verify-identity".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1e309".to_string()),
        Just("NaN".to_string()),
        (0u64..100_000).prop_map(|n| n.to_string()),
        "[ -~]{0,8}",
    ]
}

fn option_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(OPTION_NAMES).prop_map(str::to_string),
        1 => Just("socket".to_string()),
        1 => "[a-z_]{1,10}",
    ]
}

/// A DSN in one of the two grammars, and the password it holds.
fn structured() -> impl Strategy<Value = (String, String)> {
    (
        password(),
        "[a-z]{1,6}",
        prop_oneof![
            Just("127.0.0.1".to_string()),
            Just("[::1]".to_string()),
            Just("db.example".to_string()),
            Just(String::new()),
        ],
        proptest::option::of(any::<u16>()),
        proptest::option::of("[a-z_]{0,6}"),
        proptest::collection::vec((option_name(), value()), 0..4),
        any::<bool>(),
    )
        .prop_map(|(pw, user, host, port, db, params, url)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let db = db.unwrap_or_default();
            let query: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
                .collect();
            let q = if query.is_empty() {
                String::new()
            } else {
                format!("?{}", query.join("&"))
            };
            let dsn = if url {
                let enc = utf8_percent_encode(&pw, NON_ALPHANUMERIC);
                format!("mysql://{user}:{enc}@{host}{port}/{db}{q}")
            } else {
                format!("{user}:{pw}@tcp({host}{port})/{db}{q}")
            };
            (dsn, pw)
        })
}

/// Byte-level mutations: (position, kind, byte).
fn mutations() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    let byte = prop_oneof![
        Just(b'@'),
        Just(b':'),
        Just(b'/'),
        Just(b'?'),
        Just(b'%'),
        Just(b'('),
        Just(b')'),
        Just(b'['),
        Just(b']'),
        Just(b'='),
        Just(b'&'),
        Just(0u8),
        Just(0xff),
        any::<u8>(),
    ];
    proptest::collection::vec((any::<usize>(), 0u8..3, byte), 0..4)
}

fn mutate(dsn: &str, muts: &[(usize, u8, u8)]) -> String {
    let mut b = dsn.as_bytes().to_vec();
    for &(at, kind, byte) in muts {
        let at = at % (b.len() + 1);
        match kind {
            0 => b.insert(at, byte),
            1 if at < b.len() => {
                b.remove(at);
            }
            _ if at < b.len() => b[at] = byte,
            _ => {}
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// Nothing the parser shows may contain the password: not an error (which never echoes what
/// comes before the last `@`, where the user info is in both grammars), not the parsed DSN's
/// `Debug`, label or key.
fn check_no_leak(input: &str) -> Result<(), TestCaseError> {
    let in_userinfo = match (input.find(MARKER), input.rfind('@')) {
        (Some(m), Some(at)) => m < at,
        _ => false,
    };
    match Dsn::parse_with_options(input, &[]) {
        Err(e) => {
            if in_userinfo {
                prop_assert!(!e.to_string().contains(MARKER), "error leaks: {e}");
                prop_assert!(!format!("{e:?}").contains(MARKER), "error Debug leaks");
            }
        }
        Ok((d, o)) => {
            // A mutation may have moved the marker into the user name; the password itself
            // must never show.
            let pw = &*d.password;
            if pw.len() >= MARKER.len() {
                prop_assert!(!format!("{d:?}").contains(pw), "Debug leaks: {d:?}");
                prop_assert!(!d.label(&o).contains(pw), "label leaks");
                let key = d.key(&o);
                prop_assert!(!key.id.contains(pw) && !key.label.contains(pw), "key leaks");
            }
        }
    }
    Ok(())
}

#[test]
fn structured_dsns_round_trip_and_never_leak() {
    runner()
        .run(&structured(), |(dsn, pw)| {
            if let Ok((d, _)) = Dsn::parse_with_options(&dsn, &[]) {
                prop_assert_eq!(&*d.password, &pw);
            }
            check_no_leak(&dsn)
        })
        .unwrap();
}

#[test]
fn mutated_dsns_never_panic_or_leak() {
    runner()
        .run(&(structured(), mutations()), |((dsn, _), muts)| {
            check_no_leak(&mutate(&dsn, &muts))
        })
        .unwrap();
}

#[test]
fn arbitrary_text_never_panics() {
    runner()
        .run(&"\\PC{0,64}", |s| {
            let _ = Dsn::parse_with_options(&s, &[]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn option_values_never_panic() {
    runner()
        .run(
            &proptest::collection::vec((option_name(), value()), 0..6),
            |pairs| {
                let mut o = Options::default();
                for (k, v) in &pairs {
                    let _ = o.set(k, v);
                }
                let _ = o.validate();
                let _ = Options::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                Ok(())
            },
        )
        .unwrap();
}
