//! `linkage-responder`: the REFERENCE RESPONDER, a stand-in for the national history inquiry /
//! response system (履歴照会・回答システム) for tests and demos. Not the real system.

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "linkage-responder",
    about = "Stand-in for the 履歴照会・回答 system (tests and demos only): answers \
             linkage.inquiry.* with deterministic linkage ids"
)]
struct Args {
    /// `--nats-url` / `NATS_URL`, the same setting as `nanbyo`'s (required here: a stand-in
    /// that silently answered on another server than the registry's would answer nothing).
    #[command(flatten)]
    server: relay::NatsServerArgs,
    /// Answer not-found for this insurer number (repeatable; "" for inquiries without one).
    #[arg(long = "not-found-insurer")]
    not_found_insurers: Vec<String>,
    /// Send each answer this many times (2 exercises duplicate answers).
    #[arg(long, default_value_t = 1)]
    copies: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = relay::responder::ResponderConfig {
        not_found_insurers: args.not_found_insurers,
        copies: args.copies,
    };
    let Some(nats_url) = args.server.nats_url else {
        eprintln!("linkage-responder: set NATS_URL (or --nats-url), as for nanbyo");
        return std::process::ExitCode::from(2);
    };
    let result = async {
        let client = relay::publisher::connect(&nats_url).await?;
        eprintln!("linkage-responder (reference stand-in) listening on linkage.inquiry.*");
        relay::responder::run(client, config).await
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linkage-responder: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
