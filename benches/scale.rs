//! `cargo bench --bench scale`: bulk loading at scale, measured on the `qabot` binary itself as a
//! curator runs it, with peak memory, beside sqlite-utils when it is installed.
//!
//! ```sh
//! cargo bench --bench scale                               # 100k and 1M pairs (1M takes a while)
//! QABOT_SCALE_SIZES=100000 cargo bench --bench scale      # 100k only
//! ```
//!
//! For each size (synthetic corpus of `benches/support/synthetic.rs`, seed 1, as one JSONL file):
//! - load: `qabot --db new.db load corpus.jsonl` into a new database: wall time, CPU time (user +
//!   system) and peak RSS of the process (`wait4`);
//! - replace: the same command with every interview changed (one answer each gets a sentence
//!   more), over the database just loaded;
//! - small files: the first 200 interviews as 200 `.json` files, and the same interviews as one
//!   JSONL file, each into a new database;
//! - size: the database file after `PRAGMA wal_checkpoint(TRUNCATE)`;
//! - ask: `qabot::answer::ask` in this process over `QABOT_SCALE_QUERIES` (default 300) synthetic
//!   queries, after one warm-up query: p50 and p99;
//! - sqlite-utils (when on `PATH`): `sqlite-utils insert db.db interviews corpus.jsonl --nl`, then
//!   `sqlite-utils enable-fts db.db interviews title pairs --tokenize trigram`, times summed.
//!
//! `QABOT_SCALE_DIR` keeps the files there instead of a temporary folder.

#[path = "support/files.rs"]
mod files;
#[path = "support/synthetic.rs"]
mod synthetic;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use qabot::answer;
use qabot::search::DEFAULT_THRESHOLD;
use qabot::store::{Seed, Store};
use rusqlite::Connection;

const SEED: u64 = 1;
const SMALL_FILES: usize = 200;

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let sizes: Vec<usize> = env("QABOT_SCALE_SIZES", "100000,1000000")
        .split(',')
        .map(|s| s.trim().replace('_', "").parse().with_context(|| format!("QABOT_SCALE_SIZES: bad size `{s}`")))
        .collect::<Result<_>>()?;
    let n_queries: usize = env("QABOT_SCALE_QUERIES", "300").parse().context("QABOT_SCALE_QUERIES")?;
    let temp;
    let dir = match std::env::var_os("QABOT_SCALE_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&dir)?;
    let sqlite_utils = Command::new("sqlite-utils").arg("--version").output().is_ok_and(|o| o.status.success());
    // Rows are printed as they are measured: a long run interrupted still leaves its figures.
    print!("{}", header(sqlite_utils));
    for &size in &sizes {
        eprintln!("== {size} pairs");
        let row = run_size(&dir.join(size.to_string()), size, n_queries, sqlite_utils)?;
        print!("{}", table_row(&row, sqlite_utils));
        std::io::stdout().flush()?;
    }
    Ok(())
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// What one run of a process cost.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    peak_kib: u64,
}

impl Cost {
    fn plus(self, other: Cost) -> Cost {
        Cost { wall: self.wall + other.wall, cpu: self.cpu + other.cpu, peak_kib: self.peak_kib.max(other.peak_kib) }
    }
}

struct Row {
    pairs: usize,
    jsonl_mb: u64,
    load: Cost,
    replace: Cost,
    small_files: Cost,
    small_one_file: Cost,
    small_pairs: usize,
    db_mb: f64,
    ask_p50: Duration,
    ask_p99: Duration,
    sqlite_utils: Option<(Cost, f64)>,
}

fn run_size(dir: &Path, size: usize, n_queries: usize, sqlite_utils: bool) -> Result<Row> {
    std::fs::create_dir_all(dir)?;
    let corpus_path = dir.join("corpus.jsonl");
    let changed_path = dir.join("changed.jsonl");
    let small_dir = dir.join("small");
    let small_jsonl = dir.join("small.jsonl");
    let (queries, small_pairs) = {
        let mut corpus = synthetic::generate(size, SEED);
        write_jsonl(&corpus_path, corpus.iter().map(|g| &g.interview))?;
        let queries = synthetic::queries(&corpus, n_queries, SEED);
        let small = &corpus[..SMALL_FILES.min(corpus.len())];
        let _ = std::fs::remove_dir_all(&small_dir);
        std::fs::create_dir_all(&small_dir)?;
        for g in small {
            let json = serde_json::to_string(&g.interview)?;
            std::fs::write(small_dir.join(format!("{}.json", g.slug())), json)?;
        }
        write_jsonl(&small_jsonl, small.iter().map(|g| &g.interview))?;
        let small_pairs = small.iter().map(|g| g.interview.pairs.len()).sum();
        for g in &mut corpus {
            g.interview.pairs[0].turns[0].text.push_str("这一点后来又补充说明了一次。");
        }
        write_jsonl(&changed_path, corpus.iter().map(|g| &g.interview))?;
        (queries, small_pairs)
    };
    let jsonl_mb = std::fs::metadata(&corpus_path)?.len() >> 20;
    eprintln!("   corpus: {jsonl_mb} MB of JSONL");

    let db = dir.join("qabot.db");
    files::remove_db(&db)?;
    let load = qabot(&db, &corpus_path)?;
    eprintln!("   load: {load:?}");
    let replace = qabot(&db, &changed_path)?;
    eprintln!("   replace: {replace:?}");
    let db_mb = checkpointed_size(&db)? as f64 / 1048576.0;

    let mut store = Store::open(&db, Seed::Empty)?;
    std::hint::black_box(answer::ask(&mut store, &queries[0].text, DEFAULT_THRESHOLD)?);
    let mut times = Vec::with_capacity(queries.len());
    for q in &queries {
        let start = Instant::now();
        std::hint::black_box(answer::ask(&mut store, &q.text, DEFAULT_THRESHOLD)?);
        times.push(start.elapsed());
    }
    drop(store);
    times.sort_unstable();
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    let (ask_p50, ask_p99) = (at(0.50), at(0.99));
    eprintln!("   ask: p50 {ask_p50:.2?} p99 {ask_p99:.2?}");

    let small_db = dir.join("small-files.db");
    files::remove_db(&small_db)?;
    let small_files = qabot(&small_db, &small_dir)?;
    let one_db = dir.join("small-one.db");
    files::remove_db(&one_db)?;
    let small_one_file = qabot(&one_db, &small_jsonl)?;
    eprintln!("   {SMALL_FILES} files: {small_files:?}; one file: {small_one_file:?}");

    let sqlite_utils = if sqlite_utils {
        let su_db = dir.join("sqlite-utils.db");
        files::remove_db(&su_db)?;
        let insert = measure(
            Command::new("sqlite-utils").arg("insert").arg(&su_db).arg("interviews").arg(&corpus_path).arg("--nl"),
        )?;
        let fts = measure(Command::new("sqlite-utils").arg("enable-fts").arg(&su_db).args([
            "interviews",
            "title",
            "pairs",
            "--tokenize",
            "trigram",
        ]))?;
        let size = checkpointed_size(&su_db)? as f64 / 1048576.0;
        eprintln!("   sqlite-utils: insert {insert:?}, fts {fts:?}");
        Some((insert.plus(fts), size))
    } else {
        None
    };
    Ok(Row {
        pairs: size,
        jsonl_mb,
        load,
        replace,
        small_files,
        small_one_file,
        small_pairs,
        db_mb,
        ask_p50,
        ask_p99,
        sqlite_utils,
    })
}

fn write_jsonl<'a>(path: &Path, interviews: impl Iterator<Item = &'a qabot::transcript::Interview>) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for iv in interviews {
        serde_json::to_writer(&mut out, iv)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// `qabot --db DB load PATH`, output discarded.
fn qabot(db: &Path, path: &Path) -> Result<Cost> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qabot"));
    cmd.arg("--db").arg(db).arg("load").arg(path).env_remove("QABOT_DB").env_remove("RUST_LOG");
    measure(&mut cmd)
}

/// Run a command to its end with output discarded: its wall time, CPU time and peak RSS.
fn measure(cmd: &mut Command) -> Result<Cost> {
    let start = Instant::now();
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().context("cannot start")?;
    let (status, cpu, peak_kib) = wait(child)?;
    let wall = start.elapsed();
    if !status {
        bail!("{cmd:?} failed");
    }
    Ok(Cost { wall, cpu, peak_kib })
}

#[cfg(unix)]
fn wait(mut child: std::process::Child) -> Result<(bool, Duration, u64)> {
    // Read stderr first so that a chatty process cannot block on a full pipe.
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        std::io::Read::read_to_string(&mut stderr, &mut err)?;
    }
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !ok {
        eprintln!("{err}");
    }
    Ok((ok, time(usage.ru_utime) + time(usage.ru_stime), usage.ru_maxrss as u64))
}

#[cfg(not(unix))]
fn wait(mut child: std::process::Child) -> Result<(bool, Duration, u64)> {
    let status = child.wait()?;
    Ok((status.success(), Duration::ZERO, 0))
}

fn checkpointed_size(path: &Path) -> Result<u64> {
    let conn = Connection::open(path)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    drop(conn);
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    Ok(std::fs::metadata(path)?.len() + wal)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn mb(kib: u64) -> String {
    format!("{} MB", kib / 1024)
}

fn header(sqlite_utils: bool) -> String {
    let mut out = String::new();
    let su = if sqlite_utils { " sqlite-utils insert + FTS (wall / CPU, peak RSS, size) |" } else { "" };
    let _ = writeln!(
        out,
        "| pairs | JSONL | load (wall / CPU) | load peak RSS | replace all (wall / CPU) | replace peak RSS | \
         {SMALL_FILES} files vs one JSONL | database | ask p50 / p99 |{su}"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|{}", if sqlite_utils { "---|" } else { "" });
    out
}

fn table_row(r: &Row, sqlite_utils: bool) -> String {
    let su = match r.sqlite_utils {
        Some((c, size)) => format!(" {} / {}, {}, {size:.0} MB |", secs(c.wall), secs(c.cpu), mb(c.peak_kib)),
        None if sqlite_utils => " — |".to_owned(),
        None => String::new(),
    };
    format!(
        "| {} | {} MB | {} / {} | {} | {} / {} | {} | {} vs {} ({} pairs) | {:.0} MB | {:.1} / {:.1} ms |{su}\n",
        r.pairs,
        r.jsonl_mb,
        secs(r.load.wall),
        secs(r.load.cpu),
        mb(r.load.peak_kib),
        secs(r.replace.wall),
        secs(r.replace.cpu),
        mb(r.replace.peak_kib),
        secs(r.small_files.wall),
        secs(r.small_one_file.wall),
        r.small_pairs,
        r.db_mb,
        r.ask_p50.as_secs_f64() * 1000.0,
        r.ask_p99.as_secs_f64() * 1000.0,
    )
}
