"""sharedpool.SSCursor: rows streamed as they are fetched, in bounded memory."""

from __future__ import annotations

import resource

import pytest

import sharedpool

ERROR_MID_STREAM = "SELECT seq, IF(seq = 5000, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_10000"


def test_iterate_fetchone_fetchmany_and_description(pool) -> None:
    with pool.connection() as conn:
        cur = conn.cursor(sharedpool.SSCursor)
        assert isinstance(cur, sharedpool.SSCursor)
        cur.execute("SELECT seq, IF(seq % 3 = 0, NULL, CONCAT('r', seq)) AS s FROM seq_1_to_1000")
        assert [d[0] for d in cur.description] == ["seq", "s"]
        assert cur.rowcount == -1
        assert cur.fetchone() == (1, "r1")
        assert cur.fetchmany(2) == [(2, "r2"), (3, None)]
        rest = list(cur)
        assert len(rest) == 997 and rest[0] == (4, "r4") and rest[-1] == (1000, "r1000")
        assert cur.fetchone() is None
        assert cur.rowcount == 1000
        # The end freed the connection: a buffered cursor runs on it.
        assert conn.cursor().execute("SELECT 7").fetchall() == [(7,)]
        cur.execute("SELECT seq FROM seq_1_to_5")
        assert cur.fetchall() == [(i,) for i in range(1, 6)]


def test_statement_without_rows_has_its_counts(pool, table) -> None:
    with pool.connection() as conn:
        cur = conn.cursor(sharedpool.SSCursor)
        cur.execute(f"INSERT INTO {table} (name, n) VALUES ('a', 1), ('b', 2)")
        assert cur.description is None
        assert cur.rowcount == 2
        assert cur.lastrowid == 1
        with pytest.raises(sharedpool.ProgrammingError):
            cur.fetchone()
        conn.commit()


def test_error_mid_stream_after_rows(pool) -> None:
    with pool.connection() as conn:
        cur = conn.cursor(sharedpool.SSCursor)
        cur.execute(ERROR_MID_STREAM)
        got = 0
        with pytest.raises(sharedpool.Error) as info:
            for _ in cur:
                got += 1
        assert 0 < got < 5000
        assert "1242" in str(info.value)
        assert conn.cursor().execute("SELECT 8").fetchall() == [(8,)]


def test_busy_connection_and_early_close(open_pool) -> None:
    pool = open_pool(max_size=1)
    with pool.connection() as conn:
        (first,) = conn.cursor().execute("SELECT CONNECTION_ID()").fetchone()
        cur = conn.cursor(sharedpool.SSCursor)
        cur.execute("SELECT seq FROM seq_1_to_100")
        cur.fetchone()
        with pytest.raises(sharedpool.ProgrammingError, match="busy"):
            conn.cursor().execute("SELECT 1")
        cur.close()  # a short remainder: read, the connection kept
        assert conn.cursor().execute("SELECT CONNECTION_ID()").fetchone() == (first,)
        cur = conn.cursor(sharedpool.SSCursor)
        cur.execute("SELECT seq, REPEAT('x', 100) FROM seq_1_to_5000000")
        cur.fetchmany(10)
        cur.close()  # a long one: the connection is given up
        with pytest.raises(sharedpool.OperationalError):
            conn.cursor().execute("SELECT 1")
    with pool.connection() as conn:
        (second,) = conn.cursor().execute("SELECT CONNECTION_ID()").fetchone()
        assert second != first


def test_millions_of_rows_in_bounded_memory(pool) -> None:
    total = 2_000_000  # ~220 MB of cells; buffered, the Python rows alone take ~400 MB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    with pool.connection() as conn:
        cur = conn.cursor(sharedpool.SSCursor)
        cur.execute(f"SELECT seq, REPEAT('x', 100) FROM seq_1_to_{total}")
        n = 0
        while rows := cur.fetchmany(1000):
            for seq, pad in rows:
                n += 1
                assert seq == n and len(pad) == 100
        assert n == total == cur.rowcount
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grew < 64 * 1024, f"peak RSS grew by {grew // 1024} MiB"


def test_statement_timeout_stops_a_stream(open_pool) -> None:
    pool = open_pool(max_size=1, statement_timeout_ms=300)
    with pytest.raises(sharedpool.OperationalError) as info:
        with pool.connection() as conn:
            cur = conn.cursor(sharedpool.SSCursor)
            # The last row comes after a server-side SLEEP(10): the timeout passes mid-stream.
            cur.execute("SELECT seq, IF(seq = 20000, SLEEP(10), 0) FROM seq_1_to_20000")
            assert cur.fetchone() == (1, 0)
            for _ in cur:
                pass
    assert "statement_timeout_ms" in str(info.value), info.value
    # The killed connection was discarded; the pool serves the next statement.
    assert pool.query("SELECT 3") == [(3,)]
