//! Parameters round-trip exactly; results carry columns, NULLs, counts; big results work.

mod mysql_common;

use sharedpool::mysql::Param;
use sharedpool::ErrorKind;

use mysql_common::admin;

#[test]
fn awkward_text_and_binary_round_trip() {
    let mut c = admin();
    let texts: &[&[u8]] = &[
        b"it's",
        b"\"double\"",
        b"back\\slash\\",
        b"\\'; DROP TABLE x; --",
        b"nul\0byte",
        b"",
        "multibyte: ünïcødé ✓ 𝄞 日本語".as_bytes(),
        b"? not a placeholder",
    ];
    let blob: Vec<u8> = (0..=255u8).collect();
    for mode in ["", "NO_BACKSLASH_ESCAPES"] {
        c.query("SET SESSION sql_mode = ?", &[Param::Text(mode.as_bytes())])
            .unwrap();
        for t in texts {
            let r = c
                .query(
                    "SELECT ?, '?', LENGTH(?)",
                    &[Param::Text(t), Param::Text(t)],
                )
                .unwrap_or_else(|e| panic!("{mode} {t:?}: {e}"));
            assert_eq!(r.get(0, 0), Some(*t), "{mode}");
            assert_eq!(r.get(0, 1), Some(&b"?"[..]));
            assert_eq!(r.get_str(0, 2).unwrap(), t.len().to_string());
        }
        let r = c
            .query(
                "SELECT ?, LENGTH(?)",
                &[Param::Blob(&blob), Param::Blob(&blob)],
            )
            .unwrap();
        assert_eq!(r.get(0, 0), Some(&blob[..]));
        assert_eq!(r.get_str(0, 1), Some("256"));
    }
}

#[test]
fn numbers_null_and_bad_params() {
    let mut c = admin();
    let d = 0.1 + 0.2;
    let r = c
        .query(
            "SELECT ?, ?, ?, ?, ? IS NULL",
            &[
                Param::Int(i64::MIN),
                Param::UInt(u64::MAX),
                Param::Double(d),
                Param::Double(-1.5e-300),
                Param::Null,
            ],
        )
        .unwrap();
    assert_eq!(r.get_str(0, 0).unwrap(), i64::MIN.to_string());
    assert_eq!(r.get_str(0, 1).unwrap(), u64::MAX.to_string());
    assert_eq!(r.get_str(0, 2).unwrap().parse::<f64>().unwrap(), d);
    assert_eq!(r.get_str(0, 3).unwrap().parse::<f64>().unwrap(), -1.5e-300);
    assert_eq!(r.get_str(0, 4), Some("1"));
    for (sql, params) in [
        ("SELECT ?", vec![]),
        ("SELECT 1", vec![Param::Int(1)]),
        ("SELECT ?", vec![Param::Double(f64::NAN)]),
    ] {
        let e = c.query(sql, &params).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{sql}: {e}");
    }
    assert_eq!(c.query("SELECT 1", &[]).unwrap().get_str(0, 0), Some("1"));
}

#[test]
fn result_metadata_counts_errors_and_extra_result_sets() {
    let mut c = admin();
    c.query("CREATE TEMPORARY TABLE t (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, s VARCHAR(10), b VARBINARY(4))", &[])
        .unwrap();
    let r = c
        .query(
            "INSERT INTO t (s, b) VALUES (?, ?), (NULL, NULL)",
            &[Param::Text(b"x"), Param::Blob(b"\x01")],
        )
        .unwrap();
    assert_eq!(r.affected_rows(), 2);
    assert_eq!(r.insert_id(), 1);
    let r = c
        .query("SELECT id AS ident, s, b FROM t ORDER BY id", &[])
        .unwrap();
    let names: Vec<_> = r.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["ident", "s", "b"]);
    assert_eq!(r.columns()[0].type_code, 3, "MYSQL_TYPE_LONG");
    assert_ne!(r.columns()[0].flags & 32, 0, "UNSIGNED_FLAG");
    assert_ne!(r.columns()[2].flags & 128, 0, "BINARY_FLAG");
    assert_eq!(r.row_count(), 2);
    assert_eq!(r.get(1, 1), None);
    assert_eq!(r.get(1, 0), Some(&b"2"[..]));
    let e = c.query("SELEKT 1", &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.server_errno(), 1064);
    assert_eq!(e.sqlstate(), "42000");
    assert!(!c.is_broken(), "a syntax error keeps the connection");
    c.query("DROP PROCEDURE IF EXISTS sp.two_sets", &[])
        .unwrap();
    c.query(
        "CREATE PROCEDURE sp.two_sets() BEGIN SELECT 1 AS a; SELECT 2 AS b; END",
        &[],
    )
    .unwrap();
    let r = c.query("CALL sp.two_sets()", &[]).unwrap();
    assert_eq!(r.columns()[0].name, "a");
    assert_eq!(r.get_str(0, 0), Some("1"));
    assert_eq!(
        c.query("SELECT 3", &[]).unwrap().get_str(0, 0),
        Some("3"),
        "still usable"
    );
}

#[test]
fn hundred_thousand_rows_stay_compact() {
    let mut c = admin();
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
               SELECT i, LPAD(i, 10, 'x') FROM n";
    c.query("SET SESSION max_recursive_iterations = 200000", &[])
        .unwrap();
    let r = c.query(sql, &[]).unwrap();
    assert_eq!(r.row_count(), 100_000);
    assert_eq!(r.get_str(99_999, 0), Some("100000"));
    assert_eq!(r.get_str(0, 1), Some("xxxxxxxxx1"));
    // Cell data: ~5.9 bytes for i + 10 for the pad per row; plus 8 bytes of offset per cell,
    // with no spare capacity left over.
    let data: usize = (0..r.row_count())
        .map(|i| r.get(i, 0).unwrap().len() + r.get(i, 1).unwrap().len())
        .sum();
    let bound = data + 2 * 100_000 * 8 + 2 * 100_000 / 8 + 1024;
    eprintln!(
        "100k rows: {data} bytes of cells held in {} bytes",
        r.heap_size()
    );
    assert!(
        r.heap_size() <= bound,
        "{} bytes held for {data} bytes of cells",
        r.heap_size()
    );
}
