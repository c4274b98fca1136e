//! Logging with `tracing`: human-readable by default, JSON with `--log-format json`. Nothing
//! here logs request bodies, query strings or event payloads: those may hold personal data.

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// `quiet` (benchmarks) logs warnings and errors only unless RUST_LOG says otherwise.
pub fn init(format: LogFormat, quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        "info,sqlx=warn,tower_http=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests start several apps in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
