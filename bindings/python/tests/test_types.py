"""Values convert to Python types by column type and flags; parameters accept the same types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import sharedpool


def test_literals(pool) -> None:
    (row,) = pool.query(
        "SELECT CAST(-5 AS SIGNED), CAST(18446744073709551615 AS UNSIGNED), 1.5e0, "
        "CAST(1.25 AS DECIMAL(10,2)), 'héllo', X'00FF', DATE '2024-02-29', "
        "TIMESTAMP '2024-02-29 13:14:15.123456', TIME '-838:59:59', NULL, TIME '12:30:00.5'"
    )
    assert row == (
        -5,
        18446744073709551615,
        1.5,
        Decimal("1.25"),
        "héllo",
        b"\x00\xff",
        dt.date(2024, 2, 29),
        dt.datetime(2024, 2, 29, 13, 14, 15, 123456),
        -dt.timedelta(hours=838, minutes=59, seconds=59),
        None,
        dt.timedelta(hours=12, minutes=30, microseconds=500000),
    )
    assert type(row[3]) is Decimal


def test_columns_round_trip(pool) -> None:
    pool.execute("DROP TABLE IF EXISTS types_rt")
    pool.execute(
        """CREATE TABLE types_rt (
            ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, i INT, iu INT UNSIGNED,
            bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE, dec_ DECIMAL(30,10),
            c CHAR(5), vc VARCHAR(20), tx TEXT, bn BINARY(3), vb VARBINARY(10), bl BLOB,
            dte DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(6), yr YEAR, bt BIT(10),
            js JSON, en ENUM('a','b'), st SET('x','y'), bool_ BOOL, vc_bin VARCHAR(10) COLLATE utf8mb4_bin
        ) CHARSET utf8mb4"""
    )
    values = (
        -128,
        255,
        -32768,
        8388607,
        -2147483648,
        4294967295,
        -(2**63),
        2**64 - 1,
        0.5,
        1e300,
        Decimal("-12345678901234567890.0123456789"),
        "abc",
        "héllo wörld",
        "x" * 1000,
        b"\x00\x01\x02",
        b"\xff\x00",
        bytes(range(256)),
        dt.date(1999, 12, 31),
        dt.datetime(2024, 1, 2, 3, 4, 5, 678901),
        dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
        dt.timedelta(days=-1, seconds=1, microseconds=5),
        2024,
        b"\x02\x01",
        '{"k": [1, 2]}',
        "b",
        "x,y",
        True,
        "Bin",
    )
    placeholders = ", ".join(["%s"] * len(values))
    pool.execute(f"INSERT INTO types_rt VALUES ({placeholders})", values)
    (row,) = pool.query("SELECT * FROM types_rt")
    expected = list(values)
    expected[26] = 1  # BOOL is TINYINT(1)
    assert row == tuple(expected)
    assert [type(v) for v in row[:4]] == [int] * 4
    assert type(row[10]) is Decimal
    pool.execute("DROP TABLE types_rt")


def test_parameter_types(pool) -> None:
    (row,) = pool.query(
        "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s",
        (
            None,
            True,
            False,
            -(2**63),
            2**64 - 1,
            2.25,
            "ü",
            b"\x00b",
            bytearray(b"ba"),
            Decimal("3.14"),
            dt.date(2020, 5, 6),
            dt.datetime(2020, 5, 6, 7, 8, 9, 10),
        ),
    )
    assert row[:6] == (None, 1, 0, -(2**63), 2**64 - 1, 2.25)
    assert row[6] == "ü"
    assert row[7] in (b"\x00b", "\x00b")
    assert row[8] in (b"ba", "ba")
    assert Decimal(str(row[9])) == Decimal("3.14")
    assert str(row[10]) == "2020-05-06"
    assert str(row[11]) == "2020-05-06 07:08:09.000010"
    (row,) = pool.query(
        "SELECT CAST(%s AS TIME(6)), CAST(%s AS TIME(6)), CAST(%s AS DATE), CAST(%s AS DATETIME(6))",
        (
            dt.time(1, 2, 3, 4),
            dt.timedelta(hours=-30, microseconds=-1),
            dt.date(2001, 2, 3),
            dt.datetime(2001, 2, 3, 4, 5, 6),
        ),
    )
    assert row == (
        dt.timedelta(hours=1, minutes=2, seconds=3, microseconds=4),
        -dt.timedelta(hours=30, microseconds=1),
        dt.date(2001, 2, 3),
        dt.datetime(2001, 2, 3, 4, 5, 6),
    )


def test_zero_dates_are_none(pool) -> None:
    pool.execute("DROP TABLE IF EXISTS zero_dates")
    pool.execute("CREATE TABLE zero_dates (d DATE, t DATETIME)")
    with pool.connection(autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SET SESSION sql_mode = ''")
        cur.execute("INSERT INTO zero_dates VALUES ('0000-00-00', '0000-00-00 00:00:00')")
        cur.execute("SELECT d, t FROM zero_dates")
        assert cur.fetchall() == [(None, None)]
    pool.execute("DROP TABLE zero_dates")


def test_type_objects(pool) -> None:
    with pool.connection() as conn:
        cur = conn.execute("SELECT 1, 'a', NOW(), X'01'")
        codes = [d[1] for d in cur.description]
        assert codes[0] == sharedpool.NUMBER
        assert codes[1] == sharedpool.STRING
        assert codes[2] == sharedpool.DATETIME
        assert codes[0] != sharedpool.STRING


@pytest.mark.parametrize("value", ["", b"", "a'b\"c\\d", "\U0001f600", " leading and trailing "])
def test_strings_are_bound_safely(pool, value) -> None:
    (row,) = pool.query("SELECT %s", (value,))
    assert row[0] in (value, value.encode() if isinstance(value, str) else value.decode())
