//! The `qabot` command: argument parsing and dispatch only; the work is in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use qabot::commands::{self, ask::AskOptions, load::LoadOptions, sql::SqlOptions};
use qabot::search::DEFAULT_THRESHOLD;
use qabot::store::{self, Seed, Store};

/// Answer questions from interview transcripts, citing who said it.
#[derive(Parser)]
#[command(
    name = "qabot",
    version,
    about,
    long_about = "Answer questions from interview transcripts, citing who said it.\n\n\
        Interviews live in a SQLite database. A new database starts with the interview bundled in \
        the binary (Sam Altman and Satya Nadella on OpenAI and Microsoft, in Chinese), so \
        `qabot ask` works right away.",
    after_help = "Examples:\n  \
        qabot ask \"微软为什么投资 OpenAI?\"\n  \
        qabot ask --json \"How much has Microsoft lost on OpenAI?\"\n  \
        qabot ask < questions.txt\n  \
        qabot load transcripts/ more.jsonl\n  \
        qabot sql \"SELECT position, speakers, question FROM qa\"\n  \
        TELOXIDE_TOKEN=123:abc qabot serve"
)]
struct Cli {
    /// Database file [default: $QABOT_DB, else the per-user data folder, e.g.
    /// ~/.local/share/qabot/qabot.db on Linux]
    // $QABOT_DB is read in `run`, not by clap: clap takes an empty variable for a missing value.
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,

    /// When the database does not exist yet, create it without the bundled interview
    #[arg(long, global = true)]
    no_bundled: bool,

    /// Sentence-embedding model folder (config.json, tokenizer.json, model.safetensors)
    /// [default: $QABOT_MODEL, else the folder recorded with `qabot model DIR`, else none]
    #[arg(long, global = true, env = "QABOT_MODEL", value_name = "DIR")]
    model: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer a question (or one per line of standard input) with the closest stored answer
    // The after-help, with the JSON shape, is added in `main` from the serialised types.
    Ask {
        /// The question; without it, questions are read from standard input, one per line
        question: Vec<String>,
        /// Print JSON (one object per question) instead of text
        #[arg(long)]
        json: bool,
        /// Confidence (0–1) needed to answer
        #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_name = "X", value_parser = parse_share)]
        threshold: f64,
        /// Do not record the question in the query log
        #[arg(long)]
        no_log: bool,
        /// Also show (on standard error) how the question was read and how candidates scored
        #[arg(long)]
        explain: bool,
    },
    /// Load interview files or folders (recursed): .txt/.md transcripts, .json, .jsonl
    #[command(after_help = "Each file is loaded in one transaction: a broken file is reported with \
        its line and leaves the database as it was; the other files still load. Loading the same \
        content again changes nothing; a changed version of an interview (same `slug`, `source` \
        or file name) replaces it. The exit status is non-zero when any file failed.\n\n\
        Examples:\n  \
        qabot load interview.txt\n  \
        qabot load --dry-run transcripts/          # what would be loaded, replaced, unchanged\n  \
        qabot load --answerer 林晓 qa.txt           # `答:` turns are 林晓's\n  \
        qabot load --strict archive.jsonl          # all or nothing")]
    Load {
        /// Files and folders to load
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Show what would be loaded, replaced or left unchanged, and write nothing
        #[arg(long)]
        dry_run: bool,
        /// Stop at the first failing file and load nothing at all; warnings count as failures
        #[arg(long)]
        strict: bool,
        /// Who answers in files that name no one (`答:`/`A:` or unlabelled answers)
        #[arg(long, value_name = "NAME")]
        answerer: Option<String>,
        /// Who asks, for files that do not say
        #[arg(long, value_name = "NAME")]
        interviewer: Option<String>,
        /// Refuse files larger than this (bytes, or with K, M, G) [default: 64M]
        #[arg(long, value_name = "SIZE", value_parser = qabot::transcript::file::parse_size)]
        max_file_size: Option<u64>,
    },
    /// Run a read-only SQL query and print the rows (tables and views are in README.md)
    #[command(after_help = "Views: qa (a pair with its interview, question, answer and speakers), \
        turns_by_speaker, interview_summary, speaker_names. Tables: interviews, pairs, turns, \
        speakers, speaker_aliases, alternates, pair_notes, synonyms, query_log, meta, pair_vectors, \
        question_vectors, answer_vectors, and the index (terms, postings, segments, index_queue). \
        Shell commands such as `.schema` are the sqlite3 shell's, not SQL: use `SELECT sql FROM \
        sqlite_schema`.\n\n\
        Examples:\n  \
        qabot sql \"SELECT position, speakers, question FROM qa\"\n  \
        qabot sql --json \"SELECT * FROM qa WHERE speakers LIKE '%纳德拉%'\"\n  \
        qabot sql --all --width 0 \"SELECT question, answer FROM qa\"")]
    Sql {
        /// The query, e.g. "SELECT * FROM qa"
        query: String,
        /// Print a JSON array of row objects
        #[arg(long)]
        json: bool,
        /// Cut table cells to this many columns (0: never)
        #[arg(long, default_value_t = 60, value_name = "N")]
        width: usize,
        /// Print at most this many rows (and say when more were left out; 0: no limit, as --all)
        #[arg(long, default_value_t = commands::sql::DEFAULT_MAX_ROWS, value_name = "N", conflicts_with = "all")]
        max_rows: usize,
        /// Print every row, however many
        #[arg(long)]
        all: bool,
        /// Stop the query after this many seconds (0: no limit)
        #[arg(long, default_value_t = commands::sql::DEFAULT_TIMEOUT.as_secs_f64(), value_name = "SECONDS", value_parser = parse_seconds)]
        timeout: f64,
    },
    /// Measure answer quality on a JSONL question file ({"question", "expected", "kind"} per line)
    #[command(after_help = "Each line: {\"question\": \"…\", \"expected\": \"part of the stored question \
        that should come first\" or null (should be declined), \"kind\": \"paraphrase\"}. Prints every \
        miss, then top-1, top-3, declined and false declines per kind, and a calibration table.\n\n\
        Example:\n  \
        qabot --db /tmp/eval.db eval eval/example.jsonl")]
    Eval {
        /// The question file
        file: PathBuf,
        /// Print the full report as JSON
        #[arg(long)]
        json: bool,
        /// Confidence (0–1) needed to answer
        #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_name = "X", value_parser = parse_share)]
        threshold: f64,
        /// Also write every question's candidates and features as JSON Lines (for
        /// `examples/calibrate.rs --samples`)
        #[arg(long, value_name = "FILE")]
        samples: Option<PathBuf>,
    },
    /// Give every pair a vector from the sentence-embedding model (fills what is missing)
    #[command(after_help = "Each pair gets three kinds of vector: its passage (question, alternates, \
        the start of the answer), its stored question, and its answer in chunks of about 200 tokens. \
        Resumable: vectors are committed every 64 pairs, so an interrupted run loses nothing and the \
        next run continues; --limit N embeds at most N pairs now. Vectors made by another model are \
        deleted first (vectors of two models cannot be compared).")]
    Embed {
        /// Embed at most this many pairs now (the rest stay for the next run)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Show, record or forget the sentence-embedding model folder used when --model is not given
    #[command(after_help = "Download the model once, e.g.\n  \
        huggingface-cli download intfloat/multilingual-e5-small --local-dir ~/models/multilingual-e5-small\n  \
        qabot model ~/models/multilingual-e5-small\n  \
        qabot embed")]
    Model {
        /// The model folder to record; without it, show the current one
        #[arg(value_name = "DIR", conflicts_with = "clear")]
        dir: Option<PathBuf>,
        /// Forget the recorded folder (matching becomes lexical only)
        #[arg(long)]
        clear: bool,
    },
    /// List loaded interviews
    Interviews,
    /// List speakers who answer, with their aliases
    Speakers,
    /// Most frequent questions from the query log that went unanswered or were answered weakly
    #[command(after_help = "What people asked that the interviews did not answer well: add an \
        alternate phrasing to the pair that should answer it, e.g.\n  \
        qabot misses --limit 10\n  \
        sqlite3 qabot.db \"INSERT INTO alternates(pair_id, text) VALUES (7, '钱花得这么快能撑几年')\"")]
    Misses {
        /// Also list answered questions below this confidence
        #[arg(long, default_value_t = 0.65, value_name = "X", value_parser = parse_share)]
        below: f64,
        /// How many to list (0: all)
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Write every interview as JSONL (the format `load` reads)
    #[command(after_help = "A backup, or a move to another database:\n  \
        qabot export -o backup.jsonl\n  \
        qabot --db new.db --no-bundled load backup.jsonl")]
    Export {
        /// Output file [default: standard output]
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Delete an interview by its slug (see `qabot interviews`)
    #[command(after_help = "Example:\n  qabot interviews\n  qabot remove openai-microsoft-interview")]
    Remove {
        /// The interview's slug
        slug: String,
    },
    /// Run the Telegram bot (long polling); the token comes from $TELOXIDE_TOKEN
    #[command(after_help = "Create a bot with @BotFather, then:\n  TELOXIDE_TOKEN=123456:ABC-DEF qabot serve\n\n\
        Interviews loaded with `qabot load` while the bot runs are answerable at once. Stop with \
        Ctrl-C (SIGINT) or SIGTERM: polling stops and replies in flight are finished.")]
    Serve {
        /// Use this Bot API server instead of https://api.telegram.org (e.g. a self-hosted one)
        /// [default: $TELEGRAM_API_URL]
        #[arg(long, value_name = "URL")]
        api_url: Option<String>,
        /// Do not record questions in the query log
        #[arg(long)]
        no_log: bool,
        /// Confidence (0–1) needed to answer
        #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_name = "X", value_parser = parse_share)]
        threshold: f64,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    // An empty $QABOT_MODEL means no model (clap would reject it as a missing value).
    if std::env::var_os("QABOT_MODEL").is_some_and(|v| v.is_empty()) {
        // At start-up, before any other thread exists (remove_var is unsafe in edition 2024).
        std::env::remove_var("QABOT_MODEL");
    }
    let cli = parse_args();
    if !matches!(cli.command, Command::Serve { .. }) {
        restore_sigpipe();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Below the confidence threshold…: `ask --help`'s after-help, with the `--json` shape made from
/// the types the output is serialised from.
fn ask_after_help() -> String {
    format!(
        "Below the confidence threshold the reply says no stored answer is close enough and lists up \
         to three closest questions instead.\n\n--json prints one object per question (`match` is \
         null when the question is not answered):\n{}",
        qabot::render::json_shape()
    )
}

fn parse_args() -> Cli {
    let command = Cli::command().mut_subcommand("ask", |ask| ask.after_help(ask_after_help()));
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// An environment variable's value; an empty one counts as unset (`QABOT_DB= qabot …`).
fn env_value(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = cli.db.clone().or_else(|| env_value("QABOT_DB").map(PathBuf::from)).unwrap_or_else(store::default_path);
    run_command(cli, &db).map_err(|e| explain_sqlite(e, &db))
}

/// SQLite's own words for a locked or read-only database name neither the file nor a way out:
/// say which database, why, and what to do, before them.
fn explain_sqlite(e: anyhow::Error, db: &Path) -> anyhow::Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked, ReadOnly};
    let code = e.chain().find_map(|c| c.downcast_ref::<rusqlite::Error>()).and_then(rusqlite::Error::sqlite_error_code);
    let hint = match code {
        Some(DatabaseBusy | DatabaseLocked) => format!(
            "the database {} is locked by another process (a load, or a transaction left open in another \
             program such as the sqlite3 shell) and stayed locked for {} s; try again when it is done",
            db.display(),
            store::BUSY_TIMEOUT.as_secs()
        ),
        Some(ReadOnly) => format!(
            "the database {} cannot be written (the file or its folder is read-only for this user); \
             commands that only read still work",
            db.display()
        ),
        _ => return e,
    };
    e.context(hint)
}

fn run_command(cli: Cli, db: &Path) -> anyhow::Result<ExitCode> {
    let db = db.to_path_buf();
    // Not locked here: `serve` runs threads that may log to it.
    let mut stdout = std::io::stdout();
    let out = &mut stdout;
    let seed = if cli.no_bundled { Seed::Empty } else { Seed::Bundled };
    let model = cli.model.as_deref().filter(|m| !m.as_os_str().is_empty());
    let open = || open_store(&db, seed, false);
    // Commands that only read also work on a database that cannot be written (see open_for_reading).
    let read = || open_store(&db, seed, true);
    // Commands that report on a database: a new one would hold only the bundled sample, and a
    // mistyped --db would quietly list or export it (`export` to a backup file, exit 0).
    let must_exist = |what: &str| {
        if !db.exists() {
            anyhow::bail!(
                "no database at {}: nothing to {what}; give an existing database with --db or $QABOT_DB \
                 (`qabot load FILE` creates one)",
                db.display()
            );
        }
        Ok(())
    };
    let existing = |what: &str| must_exist(what).and_then(|()| read());
    match cli.command {
        Command::Ask { question, json, threshold, no_log, explain } => {
            let question = (!question.is_empty()).then(|| question.join(" "));
            let options = AskOptions { json, threshold, log: !no_log, explain };
            let mut store = read()?;
            // Once per process: loading the model is the slow part, not a question.
            let mut semantic = commands::embed::semantic(&store, model, &mut std::io::stderr())?;
            commands::ask::run(&mut store, semantic.as_mut(), question.as_deref(), &options, out)?;
        }
        Command::Load { paths, dry_run, strict, answerer, interviewer, max_file_size } => {
            let parse = qabot::transcript::ParseOptions { answerer, interviewer };
            let options = LoadOptions { dry_run, strict, parse, max_file_size };
            return load(&mut open()?, &paths, &options, model);
        }
        Command::Sql { query, json, width, max_rows, all, timeout } => {
            let options = SqlOptions {
                json,
                max_width: width,
                // 0 means "no limit", as it does for --width and --timeout.
                max_rows: (!all && max_rows > 0).then_some(max_rows),
                timeout: (timeout > 0.0).then(|| std::time::Duration::from_secs_f64(timeout)),
            };
            commands::sql::run(&db, &query, options, &mut std::io::stdout().lock())?
        }
        Command::Eval { file, json, threshold, samples } => {
            commands::eval::run_with_samples(&mut read()?, model, &file, json, threshold, samples.as_deref(), out)?
        }
        Command::Embed { limit } => commands::embed::run(&mut open()?, model, limit, out)?,
        Command::Model { dir, clear } => commands::embed::model(&mut open()?, dir.as_deref(), clear, model, out)?,
        Command::Interviews => commands::info::interviews(&existing("list")?, out)?,
        Command::Speakers => commands::info::speakers(&existing("list")?, out)?,
        Command::Misses { below, limit, json } => {
            commands::info::misses(&existing("report")?, below, limit, json, out)?
        }
        Command::Export { out: to } => commands::info::export(&existing("export")?, to.as_deref(), out)?,
        Command::Remove { slug } => {
            must_exist("remove")?;
            commands::info::remove(&mut open()?, &slug, out)?
        }
        Command::Serve { api_url, no_log, threshold } => {
            let api_url = api_url.or_else(|| env_value("TELEGRAM_API_URL").and_then(|v| v.into_string().ok()));
            let model = model.map(Path::to_path_buf);
            qabot::bot::serve(qabot::bot::ServeOptions { db, seed, api_url, log: !no_log, threshold, model })?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Open (creating if needed) the database at `db`, saying so when it was created: a mistyped
/// --db would otherwise quietly answer from (or export) a fresh database. `reading`: the command
/// only reads, and a database that cannot be written is opened read-only.
fn open_store(db: &Path, seed: Seed, reading: bool) -> anyhow::Result<Store> {
    let store = if reading { Store::open_for_reading(db, seed)? } else { Store::open(db, seed)? };
    if store.created() {
        let content = if seed == Seed::Bundled { "with the bundled interview" } else { "empty" };
        eprintln!("note: created a new database at {} ({content})", db.display());
    }
    Ok(store)
}

/// `qabot load`, then embedding the new pairs when a model is configured.
fn load(store: &mut Store, paths: &[PathBuf], options: &LoadOptions, model: Option<&Path>) -> anyhow::Result<ExitCode> {
    let summary = commands::load::run(store, paths, options)?;
    if !options.dry_run {
        commands::embed::after_load(store, model, &mut std::io::stderr())?;
    }
    Ok(if summary.failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Die quietly when standard output is closed early (`qabot export | head`), as Unix tools do,
/// instead of panicking on the failed write. Rust ignores SIGPIPE by default.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A number from 0 to 1 (thresholds, confidences).
fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        Ok(_) => Err("expected a number from 0 to 1".into()),
        Err(e) => Err(format!("expected a number from 0 to 1 ({e})")),
    }
}

/// A number of seconds, 0 or more (0 means no limit where a flag says so).
fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x >= 0.0 && std::time::Duration::try_from_secs_f64(x).is_ok() => Ok(x),
        Ok(_) => Err("expected a number of seconds, 0 or more".into()),
        Err(e) => Err(format!("expected a number of seconds ({e})")),
    }
}
