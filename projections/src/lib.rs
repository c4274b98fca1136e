//! The read side: projections that follow the event store by global position and build the
//! views that queries read (the account directory, the read audit; search, history and
//! research extracts follow). A projection's rows and its checkpoint change in one
//! transaction, so a crash never applies an event twice or skips one; any projection can be
//! rebuilt by replaying the store from position 0.

pub mod directory;
pub mod forms;
pub mod history;
pub mod imports;
pub mod reads;
pub mod research;
mod runner;

pub use runner::{
    checkpoint, committed_head, rebuild, run, shadow_name, status, wait_for, Checkpoint,
    Projection, ProjectionError, Rebuilt, Status, Tx, TxConn,
};

/// Every projection of this release, by name.
pub const ALL: &[&str] = &[
    directory::NAME,
    reads::NAME,
    forms::NAME,
    history::NAME,
    research::NAME,
    imports::JOBS,
    imports::KEYS,
];

/// Runs `$body` with `$p` bound to the projection named `$name`: `Some(result)`, or `None` for
/// a name this release does not know. (Projections are generic, not objects: this is the one
/// place that lists them.)
#[macro_export]
macro_rules! with_projection {
    ($name:expr, |$p:ident| $body:expr) => {
        match $name {
            $crate::directory::NAME => Some({
                let $p = $crate::directory::Directory;
                $body
            }),
            $crate::reads::NAME => Some({
                let $p = $crate::reads::Reads;
                $body
            }),
            $crate::forms::NAME => Some({
                let $p = $crate::forms::FormSearch;
                $body
            }),
            $crate::history::NAME => Some({
                let $p = $crate::history::History;
                $body
            }),
            $crate::research::NAME => Some({
                let $p = $crate::research::Research::default();
                $body
            }),
            $crate::imports::JOBS => Some({
                let $p = $crate::imports::ImportJobs;
                $body
            }),
            $crate::imports::KEYS => Some({
                let $p = $crate::imports::FormKeys;
                $body
            }),
            _ => None,
        }
    };
}

/// Runs an SQL statement (same text on both backends, `$1` placeholders) inside a projection's
/// transaction and returns the number of rows it changed.
#[macro_export]
macro_rules! exec {
    ($tx:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        {
            let sql = $tx.sql($sql);
            match &mut $tx.conn {
                $crate::TxConn::Postgres(c) => sqlx::query(&sql)$(.bind($arg))*.execute(&mut **c).await.map(|r| r.rows_affected()),
                $crate::TxConn::Sqlite(c) => sqlx::query(&sql)$(.bind($arg))*.execute(&mut **c).await.map(|r| r.rows_affected()),
            }
        }
    };
}

/// A value of a multi-row statement ([`insert_rows`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(Some(v))
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        Param::Text(v)
    }
}
impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(Some(v))
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

/// Runs `sql` with `params` bound in order, inside the projection's transaction.
pub async fn exec_params(tx: &mut Tx<'_>, sql: &str, params: &[Param]) -> Result<u64, sqlx::Error> {
    let sql = tx.sql(sql);
    macro_rules! bound {
        ($q:expr) => {{
            let mut q = $q;
            for p in params {
                q = match p {
                    Param::Text(t) => q.bind(t.clone()),
                    Param::Int(i) => q.bind(*i),
                    Param::Bool(b) => q.bind(*b),
                };
            }
            q
        }};
    }
    match &mut tx.conn {
        TxConn::Postgres(c) => Ok(bound!(sqlx::query(&sql))
            .execute(&mut **c)
            .await?
            .rows_affected()),
        TxConn::Sqlite(c) => Ok(bound!(sqlx::query(&sql))
            .execute(&mut **c)
            .await?
            .rows_affected()),
    }
}

/// Inserts `rows` (each with one value per column) with multi-row `INSERT` statements, as many
/// rows per statement as the databases' parameter limits allow. `suffix` ends each statement
/// (for example `ON CONFLICT DO NOTHING`).
pub async fn insert_rows(
    tx: &mut Tx<'_>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Param>>,
    suffix: &str,
) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    // PostgreSQL: COPY, the bulk path (several times faster than multi-row inserts).
    if suffix.is_empty() {
        let copy = format!(
            "COPY {table} ({}) FROM STDIN WITH (FORMAT csv)",
            columns.join(", ")
        );
        let copy = tx.sql(&copy).into_owned();
        if let TxConn::Postgres(c) = &mut tx.conn {
            let mut data = Vec::with_capacity(rows.len() * 64 * columns.len());
            for row in &rows {
                csv_line(&mut data, row);
            }
            let mut sink = c.copy_in_raw(&copy).await?;
            if let Err(e) = sink.send(data).await {
                let _ = sink.abort("the rows could not be sent").await;
                return Err(e);
            }
            return sink.finish().await;
        }
    }
    // SQLite allows 32,766 parameters per statement, PostgreSQL 65,535.
    let per_statement = (30_000 / columns.len().max(1)).max(1);
    let mut done = 0;
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(suffix);
        let params: Vec<Param> = chunk.iter().flatten().cloned().collect();
        done += exec_params(tx, &sql, &params).await?;
    }
    Ok(done)
}

/// One row in PostgreSQL's COPY CSV format: every value quoted (so an empty string stays
/// one), NULL as an empty unquoted field.
fn csv_line(out: &mut Vec<u8>, row: &[Param]) {
    for (i, p) in row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let quoted = |out: &mut Vec<u8>, s: &str| {
            out.push(b'"');
            out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        };
        match p {
            Param::Text(Some(s)) => quoted(out, s),
            Param::Int(Some(n)) => out.extend_from_slice(n.to_string().as_bytes()),
            Param::Bool(b) => out.push(if *b { b't' } else { b'f' }),
            Param::Text(None) | Param::Int(None) => {}
        }
    }
    out.push(b'\n');
}

/// Milliseconds since the Unix epoch: how the read models store times on both backends.
pub fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}
