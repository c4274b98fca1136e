//! Benchmarks: each figure is printed as `name value unit` next to a baseline measured in the
//! same run on the same database, with their ratio; every figure is the median of several
//! rounds, because the machines are shared and noisy.

pub mod accounts;
pub mod catalogue;
pub mod forms;
pub mod import;
pub mod projections;
pub mod relay;
pub mod research;
pub mod store;
pub mod web;

use std::str::FromStr;

use anyhow::{bail, Context, Result};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;

/// A distinct patient name for sample `n`, as the national forms allow names (no digits): the
/// digits of `n` as kanji numerals after 試験, and the reading with one katakana per digit.
pub fn numbered_name(n: u64) -> (String, String) {
    const KANJI: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    const KANA: [char; 10] = ['ア', 'イ', 'ウ', 'エ', 'オ', 'カ', 'キ', 'ク', 'ケ', 'コ'];
    let digits: Vec<usize> = n
        .to_string()
        .bytes()
        .map(|b| usize::from(b - b'0'))
        .collect();
    let kanji: String = digits.iter().map(|&d| KANJI[d]).collect();
    let kana: String = digits.iter().map(|&d| KANA[d]).collect();
    (format!("試験 {kanji}"), format!("シケン {kana}"))
}

/// The median of a list of measurements (the upper middle for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The value at quantile `q` (0..=1) of already collected samples.
pub fn quantile(mut values: Vec<f64>, q: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return f64::NAN;
    }
    let i = ((values.len() - 1) as f64 * q).round() as usize;
    values[i.min(values.len() - 1)]
}

/// Peak resident memory of this process (Linux `VmHWM`), KiB.
pub fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!("# machine: {cpu}, {cores} cores");
}

/// A database of its own on the PostgreSQL server the URL names.
pub struct ScratchPg {
    admin: PgConnectOptions,
    name: String,
    pub url: String,
}

impl ScratchPg {
    pub async fn create(url: &str) -> Result<Self> {
        let admin = PgConnectOptions::from_str(url).context("--database-url is not valid")?;
        let name = format!("nanbyo_bench_{}", Uuid::new_v4().simple());
        let mut conn = admin
            .connect()
            .await
            .context("cannot connect to PostgreSQL")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .context("the benchmark needs to create a scratch database (CREATEDB)")?;
        conn.close().await?;
        let base = url.split('?').next().unwrap_or(url);
        let (server, _) = base.rsplit_once('/').context("URL without a database")?;
        let url = if server.ends_with('/') || !server.contains("://") || server.ends_with(':') {
            bail!("--database-url must name a database, e.g. postgres://user@host/db")
        } else {
            format!("{server}/{name}")
        };
        Ok(ScratchPg { admin, name, url })
    }

    pub async fn drop_database(self) -> Result<()> {
        let mut conn = self.admin.connect().await?;
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut conn)
            .await?;
        Ok(())
    }
}
