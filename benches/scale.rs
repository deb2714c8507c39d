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
//!   more), over the database just loaded (for sizes up to `QABOT_SCALE_REPLACE_MAX`, default
//!   1000000);
//! - small files: the first 200 interviews as 200 `.json` files, and the same interviews as one
//!   JSONL file, each into a new database;
//! - size: the database file after `PRAGMA wal_checkpoint(TRUNCATE)`;
//! - ask: `qabot::answer::ask` in this process over `QABOT_SCALE_QUERIES` (default 300) synthetic
//!   queries, after one warm-up query: p50 and p99 of wall time and of the thread's CPU time;
//! - sqlite-utils (when on `PATH`, for sizes up to `QABOT_SCALE_SQLITE_UTILS_MAX`, default 100000:
//!   it needs about six minutes of wall time per 100k pairs on a busy machine): `sqlite-utils
//!   insert db.db interviews corpus.jsonl --nl`, then `sqlite-utils enable-fts db.db interviews
//!   title pairs --tokenize trigram`, times summed.
//!
//! With `QABOT_SCALE_ASK_DB=db QABOT_SCALE_ASK_QUERIES=file` it only times asking on that
//! database (see [`ask_only`]).
//!
//! `QABOT_SCALE_QABOT=BIN` measures that `qabot` binary instead of the one built with the bench.
//! `QABOT_SCALE_DIR` keeps the files there instead of a temporary folder. Each row also gives the
//! one-minute load average before and after it: the machine may be shared, and wall times then
//! say less than CPU times.

#[path = "support/files.rs"]
mod files;
#[path = "support/synthetic.rs"]
mod synthetic;

use std::ffi::OsString;
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

/// The argument with which this benchmark runs a command for another instance of itself (see
/// [`measure`]).
const MEASURE: &str = "--measure-child";

fn main() -> Result<()> {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == MEASURE) {
        return measure_child(&args[2..]);
    }
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    if let Some(db) = std::env::var_os("QABOT_SCALE_ASK_DB") {
        return ask_only(Path::new(&db));
    }
    let sizes: Vec<usize> = env("QABOT_SCALE_SIZES", "100000,1000000")
        .split(',')
        .map(|s| s.trim().replace('_', "").parse().with_context(|| format!("QABOT_SCALE_SIZES: bad size `{s}`")))
        .collect::<Result<_>>()?;
    let n_queries: usize = env("QABOT_SCALE_QUERIES", "300").parse().context("QABOT_SCALE_QUERIES")?;
    let replace_max: usize = env("QABOT_SCALE_REPLACE_MAX", "1000000").parse().context("QABOT_SCALE_REPLACE_MAX")?;
    let su_max: usize =
        env("QABOT_SCALE_SQLITE_UTILS_MAX", "100000").parse().context("QABOT_SCALE_SQLITE_UTILS_MAX")?;
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
        let before = load_average();
        let plan = Plan { n_queries, replace: size <= replace_max, sqlite_utils: sqlite_utils && size <= su_max };
        let row = run_size(&dir.join(size.to_string()), size, &plan)?;
        let after = load_average();
        print!("{}", table_row(&row, sqlite_utils, (before, after)));
        std::io::stdout().flush()?;
    }
    Ok(())
}

/// The one-minute load average (`/proc/loadavg`; 0 where there is none).
fn load_average() -> f64 {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or(0.0)
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
    replace: Option<Cost>,
    small_files: Cost,
    small_one_file: Cost,
    small_pairs: usize,
    db_mb: f64,
    /// p50 and p99, wall time.
    ask: (Duration, Duration),
    /// p50 and p99, CPU time.
    ask_cpu: (Duration, Duration),
    sqlite_utils: Option<(Cost, f64)>,
}

/// What to measure at one size.
struct Plan {
    n_queries: usize,
    replace: bool,
    sqlite_utils: bool,
}

fn run_size(dir: &Path, size: usize, plan: &Plan) -> Result<Row> {
    let (n_queries, sqlite_utils) = (plan.n_queries, plan.sqlite_utils);
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
        if plan.replace {
            for g in &mut corpus {
                g.interview.pairs[0].turns[0].text.push_str("这一点后来又补充说明了一次。");
            }
            write_jsonl(&changed_path, corpus.iter().map(|g| &g.interview))?;
        }
        (queries, small_pairs)
    };
    let jsonl_mb = std::fs::metadata(&corpus_path)?.len() >> 20;
    eprintln!("   corpus: {jsonl_mb} MB of JSONL");

    let db = dir.join("qabot.db");
    files::remove_db(&db)?;
    let load = qabot(&db, &corpus_path)?;
    eprintln!("   load: {load:?}");
    let replace = if plan.replace { Some(qabot(&db, &changed_path)?) } else { None };
    eprintln!("   replace: {replace:?}");
    let db_mb = checkpointed_size(&db)? as f64 / 1048576.0;

    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let (ask, ask_cpu) = time_asks(&mut Store::open(&db, Seed::Empty)?, &texts)?;
    eprintln!("   ask: p50 / p99 {ask:.2?}, CPU {ask_cpu:.2?}");

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
        ask,
        ask_cpu,
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
    let mut cmd = Command::new(qabot_binary());
    cmd.arg("--db").arg(db).arg("load").arg(path).env_remove("QABOT_DB").env_remove("RUST_LOG");
    measure(&mut cmd)
}

/// The binary measured: `QABOT_SCALE_QABOT`, else the one Cargo built beside this benchmark (two
/// checkouts sharing one target folder overwrite each other's `target/<profile>/qabot`: a copy
/// named here is measured for certain).
fn qabot_binary() -> OsString {
    std::env::var_os("QABOT_SCALE_QABOT").unwrap_or_else(|| env!("CARGO_BIN_EXE_qabot").into())
}

/// Run a command to its end with output discarded: its wall time, CPU time and peak RSS.
///
/// The command is started by a fresh instance of this program, not by this process: Linux
/// carries a process's peak RSS over `fork` and `exec` into the child's, so a child of this
/// process (which holds the generated corpus) reports at least this process's size.
fn measure(cmd: &mut Command) -> Result<Cost> {
    let mut outer = Command::new(std::env::current_exe()?);
    outer.arg(MEASURE).arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => outer.env(key, value),
            None => outer.env_remove(key),
        };
    }
    let start = Instant::now();
    let out = outer.stderr(Stdio::inherit()).output().context("cannot start")?;
    let wall = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [ok, cpu_us, peak_kib] = fields.as_slice() else { bail!("{cmd:?}: no measurement ({text})") };
    if !out.status.success() || *ok != "ok" {
        bail!("{cmd:?} failed");
    }
    Ok(Cost { wall, cpu: Duration::from_micros(cpu_us.parse()?), peak_kib: peak_kib.parse()? })
}

/// The other side of [`measure`]: run the command and print `ok` (or `failed`), its CPU time in
/// microseconds and its peak RSS in KiB.
fn measure_child(command: &[OsString]) -> Result<()> {
    let (program, args) = command.split_first().context("nothing to measure")?;
    let child = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?;
    let (ok, cpu, peak_kib) = wait(child)?;
    println!("{} {} {peak_kib}", if ok { "ok" } else { "failed" }, cpu.as_micros());
    Ok(())
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

/// The 50th and 99th percentiles.
/// p50 and p99 of wall time and of CPU time of `answer::ask` over `queries`, after one warm-up
/// query.
fn time_asks(store: &mut Store, queries: &[&str]) -> Result<((Duration, Duration), (Duration, Duration))> {
    std::hint::black_box(answer::ask(store, queries[0], DEFAULT_THRESHOLD)?);
    let mut times = Vec::with_capacity(queries.len());
    let mut cpu_times = Vec::with_capacity(queries.len());
    for q in queries {
        let (start, cpu_start) = (Instant::now(), thread_cpu());
        std::hint::black_box(answer::ask(store, q, DEFAULT_THRESHOLD)?);
        times.push(start.elapsed());
        cpu_times.push(thread_cpu().saturating_sub(cpu_start));
    }
    Ok((percentiles(times), percentiles(cpu_times)))
}

/// `QABOT_SCALE_ASK_DB`: time only the asking, on a database already loaded, over the questions
/// of `QABOT_SCALE_ASK_QUERIES` (one a line; e.g. `examples/synthetic --format queries`), repeated
/// `QABOT_SCALE_ASK_ROUNDS` times (default 1; p50 and p99 over all).
fn ask_only(db: &Path) -> Result<()> {
    let path = std::env::var_os("QABOT_SCALE_ASK_QUERIES").context("QABOT_SCALE_ASK_QUERIES: a file of questions")?;
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", Path::new(&path).display()))?;
    let rounds: usize = env("QABOT_SCALE_ASK_ROUNDS", "1").parse().context("QABOT_SCALE_ASK_ROUNDS")?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        bail!("no questions in {}", Path::new(&path).display());
    }
    let queries: Vec<&str> = (0..rounds).flat_map(|_| lines.iter().copied()).collect();
    let load = load_average();
    // Read-only: timing never changes the database it is given.
    let (ask, cpu) = time_asks(&mut Store::open_read_only(db)?, &queries)?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "ask {} questions: wall p50 / p99 {:.2} / {:.2} ms, CPU p50 / p99 {:.2} / {:.2} ms (load average {load:.2} / {:.2})",
        queries.len(),
        ms(ask.0),
        ms(ask.1),
        ms(cpu.0),
        ms(cpu.1),
        load_average()
    );
    Ok(())
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort_unstable();
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1];
    (at(0.50), at(0.99))
}

/// CPU time of the calling thread: on a busy machine, what a query costs rather than how long it
/// waited for a core.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    // SAFETY: a zeroed timespec is a valid value; clock_gettime fills it.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    Duration::ZERO
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
         {SMALL_FILES} files vs one JSONL (wall / CPU) | database | ask p50 / p99 | load average |{su}"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|{}", if sqlite_utils { "---|" } else { "" });
    out
}

fn table_row(r: &Row, sqlite_utils: bool, load: (f64, f64)) -> String {
    let su = match r.sqlite_utils {
        Some((c, size)) => format!(" {} / {}, {}, {size:.0} MB |", secs(c.wall), secs(c.cpu), mb(c.peak_kib)),
        None if sqlite_utils => " — |".to_owned(),
        None => String::new(),
    };
    format!(
        "| {} | {} MB | {} / {} | {} | {} | {} | {} / {} vs {} / {} ({} pairs) | {:.0} MB | {:.1} / {:.1} ms (CPU {:.1} / \
         {:.1} ms) | {:.1} → {:.1} |{su}\n",
        r.pairs,
        r.jsonl_mb,
        secs(r.load.wall),
        secs(r.load.cpu),
        mb(r.load.peak_kib),
        r.replace.map_or("—".to_owned(), |c| format!("{} / {}", secs(c.wall), secs(c.cpu))),
        r.replace.map_or("—".to_owned(), |c| mb(c.peak_kib)),
        secs(r.small_files.wall),
        secs(r.small_files.cpu),
        secs(r.small_one_file.wall),
        secs(r.small_one_file.cpu),
        r.small_pairs,
        r.db_mb,
        r.ask.0.as_secs_f64() * 1000.0,
        r.ask.1.as_secs_f64() * 1000.0,
        r.ask_cpu.0.as_secs_f64() * 1000.0,
        r.ask_cpu.1.as_secs_f64() * 1000.0,
        load.0,
        load.1,
    )
}
