//! `nanbyo`: config → telemetry → database → migrations → router → serve, or one of the
//! operator subcommands. Startup failures end the process with one line and exit code 2.

use std::process::ExitCode;

use api::config::{
    AccountsCommand, BenchCommand, Cli, Command, MastersCommand, ProjectionsCommand, RelayCommand,
    ResearchCommand,
};
use api::startup;
use clap::Parser;
use eventstore::VerifyReport;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    api::telemetry::init(cli.log_format, matches!(cli.command, Command::Bench { .. }));
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nanbyo: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, startup::StartupError> {
    let url = cli.database_url();
    let data_dir = cli.data_dir();
    let nats = cli.nats.clone();
    match cli.command {
        Command::Serve(args) => {
            let store = startup::open_store(&url, !args.skip_migrations).await?;
            if args.demo {
                let accounts = api::demo::create(&store)
                    .await
                    .map_err(|e| startup::StartupError::Demo(e.to_string()))?;
                api::demo::print(&accounts);
            }
            let app = startup::Application::bind(&args, store)
                .await?
                .with_data_dir(data_dir.clone())
                .with_nats(api::nats::settings(&nats), data_dir);
            app.run_until_stopped(startup::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let store = startup::open_store(&url, true).await?;
            let accounts = api::demo::create(&store)
                .await
                .map_err(|e| startup::StartupError::Demo(e.to_string()))?;
            api::demo::print(&accounts);
            Ok(ExitCode::SUCCESS)
        }
        Command::Masters {
            what: MastersCommand::Coverage,
        } => {
            print!("{}", api::coverage_report());
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = startup::open_store(&url, true).await?;
            println!("migrated ({})", store.backend().as_str());
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => {
            let store = startup::open_store(&url, false).await?;
            match store.verify().await.map_err(startup::StartupError::Store)? {
                VerifyReport::Ok { events } => {
                    println!("ok {events} events");
                    Ok(ExitCode::SUCCESS)
                }
                VerifyReport::Broken {
                    stream,
                    version,
                    reason,
                } => {
                    println!("broken: stream {stream} version {version}: {reason}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Accounts {
            what:
                AccountsCommand::BootstrapOperator {
                    program,
                    name,
                    skip_migrations,
                },
        } => {
            let store = startup::open_store(&url, !skip_migrations).await?;
            match commands::accounts::bootstrap_operator(&store, program, &name)
                .await
                .map_err(|e| startup::StartupError::Command(e.to_string()))?
            {
                commands::accounts::Created::New(issued, _) => {
                    println!("login_id {}", issued.login_id);
                    println!("initial_password {}", issued.initial_password);
                    println!("(shown once; it must be changed at the first login)");
                }
                commands::accounts::Created::Existing { login_id, .. } => {
                    println!("exists {login_id}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Projections {
            what: ProjectionsCommand::Run,
        } => {
            let store = startup::open_store(&url, false).await?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let runners = startup::spawn_projections(&store, stopped);
            startup::shutdown_signal().await;
            stop.send_replace(true);
            for r in runners {
                let _ = r.await;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Projections {
            what: ProjectionsCommand::Status,
        } => {
            let store = startup::open_store(&url, false).await?;
            let all = startup::projection_status(&store)
                .await
                .map_err(|e| startup::StartupError::Command(e.to_string()))?;
            let mut healthy = true;
            for s in all {
                print!(
                    "{} position={} behind={} lag={:.1}s",
                    s.name, s.position, s.behind, s.lag_seconds
                );
                match (&s.error, s.error_position) {
                    (Some(e), Some(at)) => {
                        healthy = false;
                        println!(" STOPPED at={at}: {e}");
                    }
                    _ => println!(),
                }
            }
            Ok(if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Projections {
            what: ProjectionsCommand::Rebuild { name, all },
        } => {
            let store = startup::open_store(&url, false).await?;
            let names: Vec<String> = if all {
                projections::ALL.iter().map(|n| n.to_string()).collect()
            } else {
                name.into_iter().collect()
            };
            for name in names {
                startup::rebuild_projection(&store, &name)
                    .await
                    .map_err(|e| startup::StartupError::Command(e.to_string()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Relay {
            what: None | Some(RelayCommand::Run),
        } => {
            let store = startup::open_store(&url, false).await?;
            let settings = api::nats::settings(&nats).ok_or_else(|| {
                startup::StartupError::Command("nanbyo relay needs NATS_URL (--nats-url)".into())
            })?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let tasks = api::nats::start(&store, settings, &data_dir, stopped)
                .map_err(|e| startup::StartupError::Command(e.to_string()))?;
            startup::shutdown_signal().await;
            stop.send_replace(true);
            for t in tasks {
                let _ = t.await;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Relay {
            what: Some(RelayCommand::Status),
        } => {
            let store = startup::open_store(&url, false).await?;
            for line in api::nats::status(&store)
                .await
                .map_err(|e| startup::StartupError::Command(e.to_string()))?
            {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Catalogue(args),
        } => {
            api::bench::catalogue::run(&args)
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Relay(args),
        } => {
            api::bench::relay::run(&args, cli.database_url.as_deref(), &nats)
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => {
            let store = startup::open_store(&url, false).await?;
            let code = api::imports::run_cli(store, &args, &data_dir)
                .await
                .map_err(|e| startup::StartupError::Command(e.to_string()))?;
            Ok(code)
        }
        Command::Research {
            what: ResearchCommand::Extract(args),
        } => {
            let store = startup::open_store(&url, false).await?;
            api::research::run_cli(store, &args, &data_dir)
                .await
                .map_err(|e| startup::StartupError::Command(e.to_string()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Projections(args),
        } => {
            api::bench::projections::run(&args, cli.database_url.as_deref())
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Accounts(args),
        } => {
            api::bench::accounts::run(&args, cli.database_url.as_deref())
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Web(args),
        } => {
            api::bench::web::run(&args, cli.database_url.as_deref())
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Store(args),
        } => {
            api::bench::store::run(&args, cli.database_url.as_deref())
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Research(args),
        } => {
            api::bench::research::run(&args, cli.database_url.as_deref())
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Import(args),
        } => {
            api::bench::import::run(&args, cli.database_url.as_deref())
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            what: BenchCommand::Forms(args),
        } => {
            api::bench::forms::run(&args, cli.database_url.as_deref())
                .await
                .map_err(startup::StartupError::Bench)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
