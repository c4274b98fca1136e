//! The one configuration: command-line flags with environment fallbacks, read once in `main`.

use std::net::SocketAddr;

use clap::builder::BoolishValueParser;
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

    /// Where research extracts (under research/) and, unless the environment names them, the
    /// bus pseudonym key (pseudonym.key) and the research key (research.key) are kept.
    /// Default: the SQLite database's directory, or ./nanbyo-data with PostgreSQL.
    #[arg(long, env = "NANBYO_DATA_DIR", global = true)]
    pub data_dir: Option<std::path::PathBuf>,

    /// NATS: the relay to JetStream and the 履歴照会・回答 linkage (off without NATS_URL).
    #[command(flatten)]
    pub nats: NatsArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The relay and the linkage. With `NATS_URL` set, `serve` runs them too; `nanbyo relay`
/// runs them alone.
#[derive(Debug, Clone, Args)]
pub struct NatsArgs {
    /// `--nats-url` / `NATS_URL`, the same setting `linkage-responder` reads.
    #[command(flatten)]
    pub server: relay::NatsServerArgs,
    /// The JetStream stream the relay creates or updates (subjects nanbyo.>).
    #[arg(
        long,
        env = "NANBYO_NATS_STREAM",
        default_value = "NANBYO_EVENTS",
        global = true
    )]
    pub nats_stream: String,
    /// Stream replicas: 1 for one server, 3 for a 3-node cluster.
    #[arg(long, env = "NANBYO_NATS_REPLICAS", default_value_t = 1, global = true)]
    pub nats_replicas: usize,
    /// How long JetStream remembers event ids to drop a republished event, in seconds.
    #[arg(
        long,
        env = "NANBYO_NATS_DUPLICATE_WINDOW",
        default_value_t = 3600,
        global = true
    )]
    pub nats_duplicate_window: u64,
    /// How long events stay in the stream, in seconds (0: forever).
    #[arg(long, env = "NANBYO_NATS_MAX_AGE", default_value_t = 0, global = true)]
    pub nats_max_age: u64,
    /// Do not run the 履歴照会・回答 linkage (the relay still runs).
    #[arg(long, env = "NANBYO_NO_LINKAGE", value_parser = BoolishValueParser::new(), global = true)]
    pub no_linkage: bool,
    /// First retry of an unanswered linkage inquiry, in seconds (doubling, at most an hour).
    #[arg(
        long,
        env = "NANBYO_LINKAGE_RETRY",
        default_value_t = 30,
        global = true
    )]
    pub linkage_retry: u64,
}

impl Cli {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
    }

    /// `--data-dir`, or the directory of the SQLite database, or ./nanbyo-data.
    pub fn data_dir(&self) -> std::path::PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        let url = self.database_url();
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let file = std::path::Path::new(path.split('?').next().unwrap_or(path));
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                return dir.to_owned();
            }
        }
        std::path::PathBuf::from("./nanbyo-data")
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
    /// Create the demo registry on a new, empty store (a sample prefecture, hospitals, one
    /// account of every role with its password, forms in every state), print the logins and
    /// exit. Refused on a store that holds accounts, forms or import jobs.
    Demo,
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
    /// Import a file (一括取込) as an account, with a progress bar: `hospital` (forms from an
    /// in-hospital system, as a doctor or clerk), `contractor` (forms a contractor prepared,
    /// as an operator, --contractor names it) or `certification` (results from the
    /// certification office system, as municipality staff). `--resume JOB` carries on a job
    /// that was interrupted.
    Import(ImportArgs),
    /// Research extracts (研究利用データの抽出).
    Research {
        #[command(subcommand)]
        what: ResearchCommand,
    },
    /// Relay the store's events to NATS JetStream and run the 履歴照会・回答 linkage, alone
    /// (`serve` does it too when NATS_URL is set); `relay status` shows where they are.
    Relay {
        #[command(subcommand)]
        what: Option<RelayCommand>,
    },
    /// The shipped disease masters.
    Masters {
        #[command(subcommand)]
        what: MastersCommand,
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
    #[arg(long, env = "NANBYO_SKIP_MIGRATIONS", value_parser = BoolishValueParser::new())]
    pub skip_migrations: bool,
    /// Do not run the projections in this process (they run in `nanbyo projections run`).
    #[arg(long, env = "NANBYO_NO_PROJECTIONS", value_parser = BoolishValueParser::new())]
    pub no_projections: bool,
    /// The web client's cookies are `Secure` (set it when users reach the service over TLS
    /// through a proxy that does not send `X-Forwarded-Proto: https`).
    #[arg(long, env = "NANBYO_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// On a new, empty store: first create the demo registry (a sample prefecture, one account
    /// of every role, forms in every state) and print its logins.
    #[arg(long)]
    pub demo: bool,
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
        /// Do not apply migrations first (as `serve --skip-migrations`: the schema owner runs
        /// `nanbyo migrate`, this runs as the service role, which may not change the schema).
        #[arg(long, env = "NANBYO_SKIP_MIGRATIONS", value_parser = BoolishValueParser::new())]
        skip_migrations: bool,
    },
}

fn parse_program(s: &str) -> Result<domain::Program, String> {
    s.parse()
        .map_err(|e: domain::program::UnknownName| e.to_string())
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// `hospital`, `contractor`, `certification` or `paper`.
    #[arg(value_parser = parse_use)]
    pub kind: domain::import_job::ImportUse,
    /// The file: CSV (UTF-8, UTF-8 with BOM, Shift_JIS), XLSX or JSON Lines.
    #[arg(required_unless_present = "resume")]
    pub file: Option<std::path::PathBuf>,
    /// The account the import acts as (its login ID); the events name it and its permissions
    /// apply.
    #[arg(long = "as", env = "NANBYO_IMPORT_AS")]
    pub login: String,
    /// The contractor (委託業者) that prepared the forms (contractor imports).
    #[arg(long)]
    pub contractor: Option<String>,
    /// Resume the interrupted job with this id instead of starting one.
    #[arg(long, conflicts_with = "file")]
    pub resume: Option<String>,
}

fn parse_use(s: &str) -> Result<domain::import_job::ImportUse, String> {
    domain::import_job::ImportUse::parse(s).ok_or_else(|| {
        "the import kinds are hospital, contractor, certification and paper".to_owned()
    })
}

#[derive(Debug, Subcommand)]
pub enum MastersCommand {
    /// Per program and edition: the diseases present, those with diagnosis rules, with severity
    /// rules, and the share of the estimated 指定難病 patients whose disease the machine judges
    /// (a Markdown table, the one docs/masters.md carries). Reads the shipped masters only.
    Coverage,
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Follow the store and keep every projection up to date until stopped.
    Run,
    /// Each projection's position and how far it is behind the store (events and seconds),
    /// and why it stopped if it did.
    Status,
    /// Rebuild from position 0 into fresh tables and swap them in when caught up; reads keep
    /// working meanwhile.
    Rebuild {
        /// The projection to rebuild (see `status` for the names).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Rebuild every projection, one after the other.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RelayCommand {
    /// Run until stopped (the default).
    Run,
    /// The relay's position and backlog, and the unanswered linkage inquiries.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum ResearchCommand {
    /// Write a de-identified extract (CSV and Parquet) into --out and record it as an event.
    Extract(ResearchExtractArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ResearchExtractArgs {
    /// The operator account that asks (its login ID); the event names it.
    #[arg(long, env = "NANBYO_OPERATOR")]
    pub operator: String,
    #[arg(long, value_parser = parse_program)]
    pub program: domain::Program,
    /// Why the data are extracted (研究目的).
    #[arg(long)]
    pub purpose: String,
    /// The approval the extract is made under (承認番号).
    #[arg(long)]
    pub approval: String,
    /// A disease code (repeat for several); none: every disease of the program.
    #[arg(long = "disease")]
    pub diseases: Vec<String>,
    /// First form date, YYYY-MM-DD (inclusive).
    #[arg(long)]
    pub from: Option<String>,
    /// Last form date, YYYY-MM-DD (inclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// Only forms certified (認定) by the municipality.
    #[arg(long)]
    pub certified_only: bool,
    /// The directory the files are written into.
    #[arg(long)]
    pub out: std::path::PathBuf,
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
    /// The whole disease catalogue against the 12 diseases shipped before it: lookup and
    /// judgment per second, disease search latency, start-up time and memory (SQLite).
    Catalogue(BenchCatalogueArgs),
    /// Logins per second and the registration of a user data file.
    Accounts(BenchAccountsArgs),
    /// Full rebuild of the search and history views against reading the same events raw, and
    /// search and history latency, on generated forms (PostgreSQL, with --database-url).
    Projections(BenchProjectionsArgs),
    /// Research extract rows/s to Parquet and CSV (PostgreSQL, with --database-url).
    Research(BenchResearchArgs),
    /// A generated hospital CSV imported as a job: rows/s against the store's batch append of
    /// the same events, and peak memory of `nanbyo import` for two file sizes (PostgreSQL,
    /// with --database-url).
    Import(BenchImportArgs),
    /// Events/s relayed to JetStream with acknowledgements against a plain publish loop, and
    /// commit-to-publish latency at a steady command rate (NATS at --nats-url, default
    /// nats://127.0.0.1:4222; PostgreSQL with --database-url, else SQLite).
    Relay(BenchRelayArgs),
    /// The web client's server time: the form-entry page of the largest shipped master and one
    /// live-judgment round trip, p50/p99, against the JSON API's read of the same form (SQLite,
    /// or PostgreSQL with --database-url).
    Web(BenchWebArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BenchWebArgs {
    /// Measured requests of each kind.
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Requests of each kind before measuring.
    #[arg(long, default_value_t = 30)]
    pub warmup: usize,
}

#[derive(Debug, Clone, Args)]
pub struct BenchCatalogueArgs {
    /// Judgments per round.
    #[arg(long, default_value_t = 200_000)]
    pub judgments: usize,
}

#[derive(Debug, Clone, Args)]
pub struct BenchImportArgs {
    /// Rows of the generated hospital file (one new form each).
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Rows of the larger file whose peak memory is compared with --rows'.
    #[arg(long, default_value_t = 1_000_000)]
    pub memory_rows: usize,
    /// Throughput rounds (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

#[derive(Debug, Clone, Args)]
pub struct BenchProjectionsArgs {
    /// Forms generated (ten events each).
    #[arg(long, default_value_t = 100_000)]
    pub forms: usize,
    /// Searches and histories timed.
    #[arg(long, default_value_t = 500)]
    pub queries: usize,
    /// Rebuild rounds; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

#[derive(Debug, Clone, Args)]
pub struct BenchRelayArgs {
    /// Events appended before the throughput rounds.
    #[arg(long, default_value_t = 40_000)]
    pub events: usize,
    /// Commands per second during the latency measurement.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// Seconds of the latency measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Rounds of the throughput measurement; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Form drafts whose 履歴照会 inquiries go unanswered during a second latency measurement
    /// (the sender retrying them every 1–2 s); 0 skips it.
    #[arg(long, default_value_t = 2_000)]
    pub linkage_forms: usize,
    /// Form drafts appended before a third latency measurement, during which every projection
    /// catches up on them; 0 skips it.
    #[arg(long, default_value_t = 10_000)]
    pub backlog_forms: usize,
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
pub struct BenchResearchArgs {
    /// Generated forms (5 events each; 90 % consent to research use).
    #[arg(long, default_value_t = 100_000)]
    pub forms: usize,
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
