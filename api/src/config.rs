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
    /// Account administration from the command line.
    Accounts {
        #[command(subcommand)]
        what: AccountsCommand,
    },
    /// Run the projections (read models) alone, apart from the API (`serve
    /// --no-projections`); several processes may run: each projection runs in one at a time.
    Projections {
        #[command(subcommand)]
        what: ProjectionsCommand,
    },
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
    /// Do not run the projections in this process (they run in `nanbyo projections run`).
    #[arg(long, env = "NANBYO_NO_PROJECTIONS")]
    pub no_projections: bool,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create the first operator account of a program; prints its login ID and initial
    /// password once (to be changed at first login).
    BootstrapOperator {
        #[arg(long, value_parser = parse_program)]
        program: domain::Program,
        /// The operator's name as shown in the registry.
        #[arg(long)]
        name: String,
    },
}

fn parse_program(s: &str) -> Result<domain::Program, String> {
    s.parse()
        .map_err(|e: domain::program::UnknownName| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Follow the store and keep every projection up to date until stopped.
    Run,
    /// Each projection's position and how far it is behind the store.
    Status,
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
    /// Logins per second and the registration of a user data file.
    Accounts(BenchAccountsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BenchAccountsArgs {
    /// Rows of the generated user data file.
    #[arg(long, default_value_t = 10_000)]
    pub rows: usize,
    /// Logins per round (split over 8 clients).
    #[arg(long, default_value_t = 200)]
    pub logins: usize,
    /// Rounds; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
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
