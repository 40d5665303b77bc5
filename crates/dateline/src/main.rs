//! `dateline`: the command line. Run with no arguments to serve the site.

use std::{io::Read, sync::Arc, time::Duration};

use clap::{Parser, Subcommand};
use dateline::{
    Fallible,
    config::{Config, ServeArgs, SiteArgs},
    server, site,
};
use dateline_app::{
    App, tokens,
    users::{self, NewUser, OwnerCredential},
};
use dateline_core::{
    Clock, SystemClock,
    actor::Actor,
    events::{Event, EventKind},
    users::Role,
};
use dateline_store::{Backend, Db, EventFilter, JobStatus};

/// mimalloc, not the C library's allocator: a page rendered after a change allocates and frees
/// thousands of small values (rows, template values, strings), and glibc's `malloc` and `free`
/// took a quarter of such a render (`perf`, an article with 400 comments).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Dateline, a news publishing platform. With no command, `serve` runs.
#[derive(Parser)]
#[command(name = "dateline", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    site: SiteArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (the default command)
    Serve(Box<ServeArgs>),
    /// Apply database migrations and prepare an empty site, then exit
    Migrate,
    /// Manage accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the activity log, one line per event, oldest first
    Activity {
        /// How many of the newest events to print
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Only events of this kind (e.g. article.published)
        #[arg(long)]
        kind: Option<String>,
        /// Keep printing events as they happen, until interrupted
        #[arg(long)]
        follow: bool,
    },
    /// Copy the SQLite database, while the site runs, into a new file (PostgreSQL: use pg_dump)
    Backup {
        /// The file to write; it must not exist yet
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Make up a realistic site from a seed, for the benchmark (articles with images, sources
    /// and topics through the article action; comments in bulk, approved, without events)
    Generate {
        /// Articles to publish
        #[arg(long, default_value_t = 10_000)]
        articles: usize,
        /// Comments to spread over them (the busiest articles get several hundred)
        #[arg(long, default_value_t = 200_000)]
        comments: usize,
        /// The same seed makes the same site
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// List pending, running and failed background jobs
    Jobs {
        /// Also list finished jobs
        #[arg(long)]
        all: bool,
        /// How many to list
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (the owner too); the password is read from standard input (at least 10 characters)
    Add {
        /// Login e-mail address
        #[arg(long)]
        email: String,
        /// Name shown under articles
        #[arg(long)]
        name: String,
        /// What the account may do
        #[arg(long, value_parser = ["owner", "editor", "author", "contributor"])]
        role: String,
        /// Short biography for the author page
        #[arg(long, default_value = "")]
        bio: String,
    },
    /// Set a new password for an account (for an owner locked out); the password is read from
    /// standard input, and every session of the account ends
    ResetPassword {
        /// The account's e-mail address
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an account and print it on one line (only its hash is stored)
    Create {
        /// The account's e-mail address
        #[arg(long)]
        email: String,
        /// A label to recognise the token by
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke an API token, given its id (from `token list`) or the token itself
    Revoke {
        /// Token id or token
        token: String,
    },
    /// List an account's tokens (never the tokens themselves)
    List {
        /// The account's e-mail address
        #[arg(long)]
        email: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dateline: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dateline: {}", describe(e.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error as the person at the console should read it: what happened, without the
/// domain's category prefix.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    match e.downcast_ref::<dateline_core::Error>() {
        Some(dateline_core::Error::Internal(detail)) => detail.clone(),
        Some(dateline_core::Error::Invalid { field, reason }) => format!("--{field}: {reason}"),
        Some(dateline_core::Error::NotFound) => "no such thing exists".to_owned(),
        Some(other) => other.to_string(),
        None => e.to_string(),
    }
}

async fn run(cli: Cli) -> Fallible<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let command = cli.command.unwrap_or(Command::Serve(Box::default()));
    if let Command::Serve(serve) = command {
        init_logging();
        let mut config = Config::load(&cli.site, &serve)?;
        let files = server::raise_open_file_limit();
        // Each connection is a file; keep room for the database, logs and media.
        if let Some(files) = files.and_then(|f| usize::try_from(f).ok())
            && config.limits.max_connections + 128 > files
        {
            let fitted = files.saturating_sub(128).max(1);
            tracing::warn!(
                max_connections = config.limits.max_connections,
                open_file_limit = files,
                fitted,
                "max_connections does not fit the open-file limit; lowered"
            );
            config.limits.max_connections = fitted;
        }
        tracing::info!(?config, open_file_limit = ?files, "starting");
        let running = server::start(&config, clock, true).await?;
        // Where it listens; links in pages, feeds and the setup link use the public base URL.
        println!("Dateline is running at http://{}/", running.addr);
        if let Some(url) = &running.setup_url {
            println!("Create the owner account (this link works once): {url}");
        }
        running.wait().await?;
        tracing::info!("stopped");
        return Ok(());
    }
    let config = Config::load(&cli.site, &ServeArgs::default())?;
    if let Command::Migrate = command {
        config.create_data_dir()?;
        let db = Db::connect(&config.database_url).await?;
        let prepared =
            dateline_app::bootstrap::prepare(db, clock, config.media_dir(), None).await?;
        println!("The database is up to date.");
        if prepared.setup_token.is_some() {
            println!(
                "The site has no owner yet: start `dateline serve` for a setup link, or use `dateline user add --role owner`."
            );
        }
        return Ok(());
    }
    let app = site::open_existing(&config, clock).await?;
    // Whoever runs commands on the server can read the database anyway: they act as the system.
    let system = Actor::System;
    match command {
        Command::Serve(_) | Command::Migrate => Ok(()),
        Command::Generate {
            articles,
            comments,
            seed,
        } => {
            let started = std::time::Instant::now();
            let made = dateline_app::generate::generate(
                &app,
                dateline_app::generate::Spec {
                    articles,
                    comments,
                    seed,
                },
            )
            .await?;
            println!(
                "Made {} articles and {} comments (at most {} on one) in {:.1} s.",
                made.articles,
                made.comments,
                made.busiest,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Backup { to } => {
            app.db().backup_to(&to).await?;
            println!(
                "The database is copied to {}. Copy the media folder ({}) beside it.",
                to.display(),
                config.media_dir().display()
            );
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            name,
            role,
            bio,
        }) => {
            let role = Role::parse("role", &role)?;
            let password = read_password()?;
            let user = if role == Role::Owner {
                users::create_owner(&app, OwnerCredential::Operator, &name, &email, &password)
                    .await?
            } else {
                let new = NewUser {
                    name,
                    email,
                    role,
                    password: Some(password),
                    bio,
                };
                users::add(&app, &system, new).await?
            };
            println!(
                "Created {} <{}> as {}; author page /authors/{}/",
                user.name,
                user.email,
                role.as_str(),
                user.slug
            );
            Ok(())
        }
        Command::User(UserCommand::ResetPassword { email }) => {
            let password = read_password()?;
            let user = users::reset_password(&app, &system, &email, &password).await?;
            println!(
                "The password of {} <{}> has been changed; their sessions have ended.",
                user.name, user.email
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create { email, name }) => {
            let owner = account(&app, &email).await?;
            let (_, token) = tokens::create(&app, &system, &owner, &name).await?;
            println!("{token}");
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { token }) => {
            let which = match token.trim().parse::<i64>() {
                Ok(id) => tokens::RevokeBy::Id(id),
                Err(_) => tokens::RevokeBy::Token(&token),
            };
            match tokens::revoke(&app, &system, which).await {
                Ok(info) => {
                    println!("Revoked token {}.", info.id);
                    Ok(())
                }
                Err(dateline_core::Error::NotFound) => Err("no live token matches".into()),
                Err(e) => Err(e.into()),
            }
        }
        Command::Token(TokenCommand::List { email }) => {
            let owner = account(&app, &email).await?;
            println!("id\tlabel\tcreated\tlast used\trevoked");
            for t in tokens::list(&app, &system, &owner).await? {
                let or_dash = |t: Option<jiff::Timestamp>| {
                    t.map_or_else(|| "-".to_owned(), |t| t.to_string())
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.label,
                    t.created_at,
                    or_dash(t.last_used_at),
                    or_dash(t.revoked_at)
                );
            }
            Ok(())
        }
        Command::Activity {
            limit,
            kind,
            follow,
        } => activity(&app, limit, kind.as_deref(), follow).await,
        Command::Jobs { all, limit } => {
            let mut statuses = vec![JobStatus::Pending, JobStatus::Running, JobStatus::Failed];
            if all {
                statuses.push(JobStatus::Done);
            }
            println!("id\tkind\tstatus\trun at\tattempts\targuments\tlast error");
            for j in app.db().jobs(&statuses, limit.clamp(1, 10_000)).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}/{}\t{}\t{}",
                    j.id,
                    j.kind,
                    j.status.as_str(),
                    j.run_at,
                    j.attempts,
                    j.max_attempts,
                    j.payload,
                    j.last_error.as_deref().unwrap_or("-").replace('\n', " ")
                );
            }
            Ok(())
        }
    }
}

/// `dateline activity`: the newest `limit` events, oldest first; with `follow`, then every
/// event as it commits. On PostgreSQL other processes' events arrive through `LISTEN` at once;
/// on SQLite the log is looked at every second.
async fn activity(app: &App, limit: i64, kind: Option<&str>, follow: bool) -> Fallible<()> {
    let kind = kind.map(|k| EventKind::parse("kind", k)).transpose()?;
    let filter = EventFilter {
        kind,
        ..Default::default()
    };
    // The position is read before the page, so that an event committed in between is read
    // again below rather than missed; what was printed is not printed twice.
    let mut last = app.db().latest_event_id().await?;
    let (mut events, _) =
        dateline_app::activity::page(app, &Actor::System, &filter, limit.clamp(1, 200)).await?;
    events.reverse();
    for e in &events {
        println!("{}", line(e));
        last = last.max(e.id);
    }
    if !follow {
        return Ok(());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut wake = app.db().subscribe_events();
    let _listener = app.db().listen_for_events();
    // The listener's wake-ups are the fast path; looking now and then covers SQLite, where
    // other processes' commits are not announced, and a dropped PostgreSQL connection.
    let look_every = match app.db().backend() {
        Backend::Sqlite => Duration::from_secs(1),
        Backend::Postgres => Duration::from_secs(30),
    };
    loop {
        tokio::select! {
            _ = dateline_store::next_wakeup(&mut wake) => {}
            () = tokio::time::sleep(look_every) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        // Everything committed by now, in pages: one wake-up may stand for many events.
        loop {
            let events = app.db().events_after(last, 500).await?;
            for e in &events {
                last = e.id;
                if kind.is_none_or(|k| k == e.kind) {
                    println!("{}", line(e));
                }
            }
            if events.len() < 500 {
                break;
            }
        }
        let _ = std::io::stdout().flush();
    }
}

/// One event on one line: id, time, kind, actor, subject, payload.
fn line(e: &Event) -> String {
    let actor = match e.actor.id {
        Some(id) => format!("{}:{id}", e.actor.kind.as_str()),
        None => e.actor.kind.as_str().to_owned(),
    };
    let subject = match e.subject.id {
        Some(id) => format!("{}:{id}", e.subject.kind.as_str()),
        None => e.subject.kind.as_str().to_owned(),
    };
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        e.id,
        e.created_at,
        e.kind.as_str(),
        actor,
        subject,
        e.payload
    )
}

/// The account with e-mail address `email`, or an error that says there is none.
async fn account(app: &App, email: &str) -> Fallible<dateline_core::users::User> {
    match tokens::account(app, email).await {
        Ok(u) => Ok(u),
        Err(dateline_core::Error::Invalid { reason, .. }) => Err(format!(
            "no account has the e-mail address {}: {reason}",
            email.trim()
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// The password from standard input: everything up to the first line break.
fn read_password() -> Fallible<String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    Ok(input.lines().next().unwrap_or("").to_owned())
}

fn init_logging() {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_env("DATELINE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("DATELINE_LOG_FORMAT").is_ok_and(|v| v == "json");
    // Logs go to standard error, so that standard output carries only what the commands print
    // for people and scripts. Colour only for a person at a terminal.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.with_ansi(ansi).init();
    }
}
