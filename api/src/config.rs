//! The one configuration: command-line flags with environment fallbacks, read once in `main`.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The embedded default: a SQLite file under ./nanbyo-data, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./nanbyo-data/nanbyo.db";

#[derive(Debug, Parser)]
#[command(name = "nanbyo", version, about = "The 難病・小慢 registry service")]
pub struct Cli {
    /// postgres://… for PostgreSQL; sqlite:… for the embedded store (default
    /// sqlite://./nanbyo-data/nanbyo.db).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Log format: human-readable lines or one JSON object per line.
    #[arg(long, env = "NANBYO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve HTTP.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Recompute every stream's hash chain: "ok N events" (exit 0) or the first broken link
    /// (exit 1).
    Verify,
    /// Measure against a baseline in the same run.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to serve HTTP on.
    #[arg(long, env = "NANBYO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Do not apply migrations at start (production: `nanbyo migrate` runs as the schema
    /// owner, the service as a role that may only read and append).
    #[arg(long, env = "NANBYO_SKIP_MIGRATIONS")]
    pub skip_migrations: bool,
    /// Development and tests only: take the acting account from the `X-Nanbyo-Dev-Actor`
    /// header (JSON). Never enable this on a server reachable by users: logins arrive with the
    /// accounts issue.
    #[arg(long, env = "NANBYO_DEV_ACTOR_HEADER")]
    pub dev_actor_header: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchBackends {
    Both,
    Sqlite,
    Postgres,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The event store on SQLite (a scratch file) and, with a postgres:// --database-url, on
    /// PostgreSQL (a scratch database created on that server and dropped afterwards).
    Store(BenchStoreArgs),
    /// Machine judgment (one core) and the HTTP form flow (PostgreSQL, with --database-url).
    Forms(BenchFormsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BenchFormsArgs {
    /// Judgments per round.
    #[arg(long, default_value_t = 200_000)]
    pub judgments: usize,
    /// Forms per round of the HTTP flow (split over 8 clients).
    #[arg(long, default_value_t = 400)]
    pub forms: usize,
    /// Rounds; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

#[derive(Debug, Clone, Args)]
pub struct BenchStoreArgs {
    /// Which backends to measure (PostgreSQL needs a postgres:// --database-url).
    #[arg(long, value_enum, default_value_t = BenchBackends::Both)]
    pub backends: BenchBackends,
    /// Concurrent writers.
    #[arg(long, default_value_t = 8)]
    pub writers: usize,
    /// Single-event appends per writer per round.
    #[arg(long, default_value_t = 500)]
    pub appends: usize,
    /// 100-event appends per writer per round.
    #[arg(long, default_value_t = 40)]
    pub batches: usize,
    /// Rounds per figure; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// How long the follow-lag measurement runs, in seconds.
    #[arg(long, default_value_t = 3)]
    pub lag_seconds: u64,
}
