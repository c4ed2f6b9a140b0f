use rusqlite::{Connection, OpenFlags, StatementStatus};

use super::read_connection;

/// How many times the statement was planned again over 20 runs with a new
/// `LIMIT` and a new indexed value each time.
fn replans(conn: &Connection) -> i32 {
    let mut total = 0;
    for i in 0..20 {
        let mut statement = conn
            .prepare_cached("SELECT id FROM t WHERE a = ? ORDER BY id DESC LIMIT ?")
            .unwrap();
        let n = statement
            .query_map((i % 7, 1 + i % 5), |row| row.get::<_, i64>(0))
            .unwrap()
            .count();
        assert!(n >= 1);
        total = statement.get_status(StatementStatus::RePrepare);
    }
    total
}

#[test]
fn cached_statements_are_not_planned_again_per_bound_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let path = path.to_str().unwrap();
    {
        let writer = Connection::open(path).unwrap();
        writer
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER NOT NULL);
                 CREATE INDEX t_a ON t (a);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
                 INSERT INTO t (a) SELECT i % 7 FROM n;
                 ANALYZE;",
            )
            .unwrap();
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // A plain connection plans the statement again on every run: what the
    // read connections avoid.
    let plain = Connection::open_with_flags(path, flags).unwrap();
    assert!(replans(&plain) >= 19, "{}", replans(&plain));
    let ours = read_connection(path, flags).unwrap();
    assert_eq!(replans(&ours), 0);
}
