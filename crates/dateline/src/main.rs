//! `dateline`: the command line. Run with no arguments to serve the site.

use std::{io::Read, sync::Arc};

use clap::{Parser, Subcommand};
use dateline::{
    Fallible,
    config::{Config, ServeArgs, SiteArgs},
    server,
};
use dateline_core::{
    Clock, SystemClock,
    secrets::{hash_password, hash_token, new_token},
    text::{Email, required_text},
    users::{Role, check_new_password},
};
use dateline_store::Db;

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
    Serve(ServeArgs),
    /// Apply database migrations and prepare an empty site, then exit
    Migrate,
    /// Manage accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from standard input (at least 10 characters)
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
            eprintln!("dateline: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Fallible<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(serve) => {
            init_logging();
            let config = Config::load(&cli.site, &serve)?;
            tracing::info!(?config, "starting");
            let running = server::start(&config, clock, true).await?;
            // Where it listens; links in pages, feeds and the setup link use the public base URL.
            println!("Dateline is running at http://{}/", running.addr);
            if let Some(url) = &running.setup_url {
                println!("Create the owner account (this link works once): {url}");
            }
            running.wait().await?;
            tracing::info!("stopped");
            Ok(())
        }
        Command::Migrate => {
            let db = open(&cli.site).await?;
            let prepared = dateline::bootstrap::prepare(&db, clock.now(), None).await?;
            println!("The database is up to date.");
            if prepared.setup_token.is_some() {
                println!(
                    "The site has no owner yet: start `dateline serve` for a setup link, or use `dateline user add --role owner`."
                );
            }
            Ok(())
        }
        Command::User(UserCommand::Add {
            email,
            name,
            role,
            bio,
        }) => {
            let email = Email::parse("email", &email)?;
            let name = required_text("name", &name, 100)?;
            let role = Role::parse("role", &role)?;
            let password = read_password()?;
            check_new_password("password", &password)?;
            let db = open(&cli.site).await?;
            let user = db
                .create_user(
                    &name,
                    &email,
                    role,
                    Some(&hash_password(&password)?),
                    &bio,
                    clock.now(),
                )
                .await?;
            println!(
                "Created {} <{}> as {}; author page /authors/{}/",
                user.name,
                user.email,
                role.as_str(),
                user.slug
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create { email, name }) => {
            let db = open(&cli.site).await?;
            let user = account(&db, &email).await?;
            let token = new_token()?;
            db.create_token(user.id, &name, &hash_token(&token), clock.now())
                .await?;
            println!("{token}");
            Ok(())
        }
        Command::Token(TokenCommand::Revoke { token }) => {
            let db = open(&cli.site).await?;
            let revoked = match token.parse::<i64>() {
                Ok(id) => db.revoke_token(id, clock.now()).await?.then_some(id),
                Err(_) => {
                    db.revoke_token_by_hash(&hash_token(token.trim()), clock.now())
                        .await?
                }
            };
            match revoked {
                Some(id) => {
                    println!("Revoked token {id}.");
                    Ok(())
                }
                None => Err("no live token matches".into()),
            }
        }
        Command::Token(TokenCommand::List { email }) => {
            let db = open(&cli.site).await?;
            let user = account(&db, &email).await?;
            println!("id\tlabel\tcreated\tlast used\trevoked");
            for t in db.tokens_of(user.id).await? {
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
    }
}

/// Opens the site's database for a command other than `serve`, applying migrations so that a
/// command run before the first `serve` works too.
async fn open(site: &SiteArgs) -> Fallible<Db> {
    let config = Config::load(site, &ServeArgs::default())?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        format!(
            "cannot create the data folder {}: {e}",
            config.data_dir.display()
        )
    })?;
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// The account with e-mail address `email`, or an error that says there is none.
async fn account(db: &Db, email: &str) -> Fallible<dateline_core::users::User> {
    let email = Email::parse("email", email)?;
    Ok(db
        .user_by_email(email.as_str())
        .await?
        .ok_or_else(|| format!("no account has the e-mail address {}", email.as_str()))?)
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
