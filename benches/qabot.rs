//! `cargo bench`: loading, database size, matching latency and serving memory at several corpus
//! sizes, each beside a naive baseline measured in the same run.
//!
//! ```sh
//! cargo bench                                        # the bundled interview (14 pairs), 1k, 10k, 100k pairs
//! QABOT_BENCH_SIZES=1000,10000 cargo bench           # a quicker run
//! ```
//!
//! Environment: `QABOT_BENCH_SIZES` (comma-separated pair counts; `14` means the bundled
//! interview), `QABOT_BENCH_QUERIES` (queries per size, default 300), `QABOT_BENCH_BASELINE_SECS`
//! (time budget of the baseline's queries per size, default 30; at least 10 queries run),
//! `QABOT_BENCH_DIR` (keep the databases there instead of a temporary folder).
//!
//! - Corpus: `benches/support/synthetic.rs` (seed 1), as JSONL; parsing is timed on its own, then
//!   the parsed interviews are stored with `Store::load` into a fresh database (`Seed::Empty`), in
//!   one transaction, every index included: what `qabot load corpus.jsonl` does.
//! - Load baseline: the same rows inserted with plain prepared `INSERT`s into the same schema,
//!   no search index, no hashing, no normalisation.
//! - Size: the database file after `PRAGMA wal_checkpoint(TRUNCATE)`.
//! - Match: `qabot::answer::ask` over paraphrased, verbatim and off-topic queries; baseline: the
//!   best `strsim::normalized_levenshtein` over every stored question (what ChatterBot does).
//! - Memory: VmRSS/VmHWM of a fresh child process (this binary, re-executed with `--serve`) that
//!   opens the database and answers the queries, so the load's memory does not count.

#[path = "support/files.rs"]
mod files;
#[path = "support/memory.rs"]
mod memory;
#[path = "support/synthetic.rs"]
mod synthetic;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use qabot::answer;
use qabot::search::DEFAULT_THRESHOLD;
use qabot::store::{Origin, Seed, Store, BUNDLED_INTERVIEWS, SCHEMA};
use qabot::transcript::{self, json, Format, Interview};
use rusqlite::{params, Connection};

use memory::status_kb;
use synthetic::Query;

const SEED: u64 = 1;
/// The bundled interview's size, and the value of `QABOT_BENCH_SIZES` that selects it.
const BUNDLED: usize = 14;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        return serve(&args[i + 1..]);
    }
    let sizes: Vec<usize> = env("QABOT_BENCH_SIZES", "14,1000,10000,100000")
        .split(',')
        .map(|s| s.trim().replace('_', "").parse().with_context(|| format!("QABOT_BENCH_SIZES: bad size `{s}`")))
        .collect::<Result<_>>()?;
    let queries: usize = env("QABOT_BENCH_QUERIES", "300").parse().context("QABOT_BENCH_QUERIES")?;
    let budget = Duration::from_secs_f64(env("QABOT_BENCH_BASELINE_SECS", "30").parse().context("budget")?);
    let temp;
    let dir = match std::env::var_os("QABOT_BENCH_DIR") {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            PathBuf::from(d)
        }
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let mut rows = Vec::new();
    for &size in &sizes {
        eprintln!("== {size} pairs");
        rows.push(run_size(&dir, size, queries, budget)?);
    }
    println!("{}", report(&rows, queries));
    Ok(())
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Measurements at one corpus size.
struct Row {
    pairs: usize,
    interviews: usize,
    parse_jsonl: Option<Duration>,
    parse_text: Duration,
    load: Duration,
    load_baseline: Duration,
    size: u64,
    index_size: Option<u64>,
    size_baseline: u64,
    first_query: Duration,
    latency: Latency,
    latency_baseline: Latency,
    top1: Share,
    rejected: Share,
    top1_baseline: Share,
    /// Per query kind: top-1 of qabot and of the baseline.
    kinds: BTreeMap<&'static str, (Share, Share)>,
    rss: Rss,
    rss_baseline: Rss,
}

fn run_size(dir: &Path, size: usize, n_queries: usize, budget: Duration) -> Result<Row> {
    let tag = if size == BUNDLED { "bundled".to_owned() } else { size.to_string() };
    let db = dir.join(format!("qabot-{tag}.db"));
    let db_baseline = dir.join(format!("baseline-{tag}.db"));
    for path in [&db, &db_baseline] {
        files::remove_db(path)?;
    }

    // Corpus, parsing.
    let (interviews, origin, parse_jsonl, parse_text, queries) = if size == BUNDLED {
        let (name, text) = BUNDLED_INTERVIEWS[0];
        let stem = name.split('.').next().unwrap_or(name);
        let start = Instant::now();
        let parsed = transcript::parse_bytes(text.as_bytes(), Format::Text, stem)?;
        let parse_text = start.elapsed();
        let interviews: Vec<Interview> = parsed.interviews.into_iter().map(|(_, iv)| iv).collect();
        let queries = synthetic::text_queries(&interviews[0], stem, n_queries, SEED);
        let origin = Origin { path: name.to_owned(), stem: stem.to_owned() };
        (interviews, origin, None, parse_text, queries)
    } else {
        let corpus = synthetic::generate(size, SEED);
        let jsonl = synthetic::to_jsonl(&corpus);
        let start = Instant::now();
        let parsed = json::parse_lines(&jsonl)?;
        let parse_jsonl = start.elapsed();
        let texts: Vec<(String, String)> =
            corpus.iter().map(|g| (g.slug().to_owned(), synthetic::to_text(&g.interview, SEED))).collect();
        let start = Instant::now();
        let mut from_text = Vec::with_capacity(texts.len());
        for (slug, text) in &texts {
            from_text.push(transcript::parse_bytes(text.as_bytes(), Format::Text, slug)?);
        }
        let parse_text = start.elapsed();
        let differ = from_text
            .iter()
            .zip(&corpus)
            .filter(|(parsed, g)| {
                let got = &parsed.interviews[0].1;
                got.pairs.len() != g.interview.pairs.len()
                    || got
                        .pairs
                        .iter()
                        .zip(&g.interview.pairs)
                        .any(|(a, b)| a.question != b.question || a.turns != b.turns)
            })
            .count();
        if differ > 0 {
            eprintln!("   warning: {differ} transcripts parse differently from their JSONL form");
        }
        drop(from_text);
        eprintln!("   corpus: {} MB of JSONL, {} interviews", jsonl.len() >> 20, corpus.len());
        let queries = synthetic::queries(&corpus, n_queries, SEED);
        let origin = Origin { path: "corpus.jsonl".to_owned(), stem: "corpus".to_owned() };
        (parsed.into_iter().map(|(_, iv)| iv).collect::<Vec<_>>(), origin, Some(parse_jsonl), parse_text, queries)
    };
    let pairs: usize = interviews.iter().map(|iv| iv.pairs.len()).sum();

    // Loading.
    let mut store = Store::open(&db, Seed::Empty)?;
    let start = Instant::now();
    store.load(&interviews, &origin, false)?;
    let load = start.elapsed();
    eprintln!("   load: {load:.2?}");
    let load_baseline = baseline_load(&db_baseline, &interviews)?;
    eprintln!("   baseline load: {load_baseline:.2?}");
    let size_bytes = checkpointed_size(store.connection(), &db)?;
    let index_size = index_bytes(store.connection());
    let size_baseline = {
        let conn = Connection::open(&db_baseline)?;
        checkpointed_size(&conn, &db_baseline)?
    };
    drop(interviews);

    // Matching, qabot.
    let ids = pair_ids(store.connection())?;
    let target = |q: &Query| q.target.as_ref().map(|(slug, pos)| ids[&(slug.clone(), *pos as i64)]);
    let start = Instant::now();
    std::hint::black_box(answer::ask(&mut store, &queries[0].text, DEFAULT_THRESHOLD)?);
    let first_query = start.elapsed();
    let mut times = Vec::with_capacity(queries.len());
    let (mut top1, mut rejected) = (Share::default(), Share::default());
    let mut kinds: BTreeMap<&'static str, (Share, Share)> = BTreeMap::new();
    for q in &queries {
        let start = Instant::now();
        let a = answer::ask(&mut store, &q.text, DEFAULT_THRESHOLD)?;
        times.push(start.elapsed());
        match target(q) {
            Some(id) => {
                let hit = a.matched.as_ref().is_some_and(|m| m.id == id);
                top1.add(hit);
                kinds.entry(q.kind).or_default().0.add(hit);
            }
            None => rejected.add(!a.answered),
        }
    }
    let mut slowest: Vec<(Duration, &str)> =
        times.iter().copied().zip(queries.iter().map(|q| q.text.as_str())).collect();
    slowest.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
    let latency = Latency::of(times);
    eprintln!("   qabot match: p50 {:.2?} p99 {:.2?}", latency.p50, latency.p99);
    for (t, q) in slowest.iter().take(3) {
        eprintln!("      slowest: {t:.2?} {q}");
    }
    drop(store);

    // Matching, baseline (on its own database: same pairs, same ids).
    let questions = baseline_questions(&Connection::open(&db_baseline)?)?;
    let mut times = Vec::new();
    let mut top1_baseline = Share::default();
    let started = Instant::now();
    for q in &queries {
        if times.len() >= 10 && started.elapsed() > budget {
            break;
        }
        let start = Instant::now();
        let best = strsim_best(&questions, &q.text);
        times.push(start.elapsed());
        if let Some(id) = target(q) {
            top1_baseline.add(best == Some(id));
            kinds.entry(q.kind).or_default().1.add(best == Some(id));
        }
    }
    let latency_baseline = Latency::of(times);
    eprintln!("   strsim match: p50 {:.2?} p99 {:.2?}", latency_baseline.p50, latency_baseline.p99);
    drop(questions);

    // Memory of a fresh serving process.
    let query_file = dir.join(format!("queries-{tag}.txt"));
    std::fs::write(&query_file, queries.iter().map(|q| format!("{}\n", q.text)).collect::<String>())?;
    let rss = child_rss("qabot", &db, &query_file, queries.len())?;
    let rss_baseline = child_rss("strsim", &db_baseline, &query_file, latency_baseline.n.min(20))?;
    eprintln!("   rss: qabot {} MB, strsim {} MB", rss.hwm_kb / 1024, rss_baseline.hwm_kb / 1024);

    Ok(Row {
        pairs,
        interviews: if size == BUNDLED { 1 } else { ids_interviews(&ids) },
        parse_jsonl,
        parse_text,
        load,
        load_baseline,
        size: size_bytes,
        index_size,
        size_baseline,
        first_query,
        latency,
        latency_baseline,
        top1,
        rejected,
        top1_baseline,
        kinds,
        rss,
        rss_baseline,
    })
}

/// (interview slug, position) → pair id.
fn pair_ids(conn: &Connection) -> Result<HashMap<(String, i64), i64>> {
    let mut stmt =
        conn.prepare("SELECT i.slug, p.position, p.id FROM pairs p JOIN interviews i ON i.id = p.interview_id")?;
    let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn ids_interviews(ids: &HashMap<(String, i64), i64>) -> usize {
    ids.keys().filter(|(_, pos)| *pos == 1).count()
}

/// The baseline loader: the same rows, plain inserts, no search index.
fn baseline_load(path: &Path, interviews: &[Interview]) -> Result<Duration> {
    let mut conn = Connection::open(path)?;
    let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
    conn.execute_batch(SCHEMA)?;
    let start = Instant::now();
    let tx = conn.transaction()?;
    // Silence the triggers that queue SQL edits for indexing, as qabot's loader does.
    tx.execute("INSERT INTO meta(key, value) VALUES ('indexing_in_progress', '1')", [])?;
    {
        let mut speakers: HashMap<&str, i64> = HashMap::new();
        let mut insert_interview = tx.prepare(
            "INSERT INTO interviews(slug, title, source, date, interviewer, notes, origin, content_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '')",
        )?;
        let mut insert_speaker = tx.prepare("INSERT INTO speakers(name) VALUES (?1)")?;
        let mut insert_pair = tx.prepare("INSERT INTO pairs(interview_id, position, question) VALUES (?1, ?2, ?3)")?;
        let mut insert_turn =
            tx.prepare("INSERT INTO turns(pair_id, position, speaker_id, text) VALUES (?1, ?2, ?3, ?4)")?;
        for (i, iv) in interviews.iter().enumerate() {
            let slug = iv.slug.clone().unwrap_or_else(|| format!("interview-{i}"));
            let notes = iv.notes.join("\n");
            insert_interview.execute(params![slug, iv.title, iv.source, iv.date, iv.interviewer, notes, "baseline"])?;
            let interview_id = tx.last_insert_rowid();
            for (p, pair) in iv.pairs.iter().enumerate() {
                insert_pair.execute(params![interview_id, p as i64 + 1, pair.question])?;
                let pair_id = tx.last_insert_rowid();
                for (t, turn) in pair.turns.iter().enumerate() {
                    let speaker = match speakers.get(turn.speaker.as_str()) {
                        Some(&id) => id,
                        None => {
                            insert_speaker.execute([&turn.speaker])?;
                            let id = tx.last_insert_rowid();
                            speakers.insert(&turn.speaker, id);
                            id
                        }
                    };
                    insert_turn.execute(params![pair_id, t as i64 + 1, speaker, turn.text])?;
                }
            }
        }
    }
    tx.execute("DELETE FROM meta WHERE key = 'indexing_in_progress'", [])?;
    tx.commit()?;
    Ok(start.elapsed())
}

/// Database size after folding the WAL into the main file.
fn checkpointed_size(conn: &Connection, path: &Path) -> Result<u64> {
    let (busy, _, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if busy != 0 {
        bail!("checkpoint of {} was blocked", path.display());
    }
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    Ok(std::fs::metadata(path)?.len() + wal)
}

/// Bytes used by the search index (tables `terms`, `postings`, `segments` and their indexes),
/// when SQLite was built with the `dbstat` table.
fn index_bytes(conn: &Connection) -> Option<u64> {
    conn.query_row(
        "SELECT sum(pgsize) FROM dbstat WHERE name IN ('terms', 'postings', 'segments', 'postings_segment')
            OR name IN (SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('terms', 'postings'))",
        [],
        |r| r.get::<_, i64>(0),
    )
    .ok()
    .map(|b| b as u64)
}

fn baseline_questions(conn: &Connection) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare("SELECT id, question FROM pairs ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The naive matcher: edit similarity to every stored question, best one wins.
fn strsim_best(questions: &[(i64, String)], query: &str) -> Option<i64> {
    let mut best: Option<(f64, i64)> = None;
    for (id, q) in questions {
        let s = strsim::normalized_levenshtein(query, q);
        if best.is_none_or(|(b, _)| s > b) {
            best = Some((s, *id));
        }
    }
    best.map(|(_, id)| id)
}

#[derive(Debug, Clone, Copy, Default)]
struct Latency {
    n: usize,
    p50: Duration,
    p99: Duration,
}

impl Latency {
    fn of(mut times: Vec<Duration>) -> Latency {
        times.sort_unstable();
        let n = times.len();
        if n == 0 {
            return Latency::default();
        }
        let at = |p: usize| times[((n * p).div_ceil(100)).clamp(1, n) - 1];
        Latency { n, p50: at(50), p99: at(99) }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Share {
    hits: usize,
    total: usize,
}

impl Share {
    fn add(&mut self, hit: bool) {
        self.total += 1;
        self.hits += usize::from(hit);
    }

    fn show(self) -> String {
        if self.total == 0 {
            return "—".to_owned();
        }
        format!("{:.2}", self.hits as f64 / self.total as f64)
    }
}

/// Resident memory of a serving process, in KiB: after opening, after the queries, peak.
#[derive(Debug, Clone, Copy, Default)]
struct Rss {
    open_kb: u64,
    rss_kb: u64,
    hwm_kb: u64,
}

fn child_rss(engine: &str, db: &Path, queries: &Path, limit: usize) -> Result<Rss> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args(["--serve", engine])
        .arg(db)
        .arg(queries)
        .arg(limit.to_string())
        .output()
        .context("cannot run the serving child")?;
    if !out.status.success() {
        bail!("serving child failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Result<u64> {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .with_context(|| format!("serving child did not report {name}: {text}"))
    };
    Ok(Rss { open_kb: field("open_kb")?, rss_kb: field("rss_kb")?, hwm_kb: field("hwm_kb")? })
}

/// Child mode: `--serve qabot|strsim DB QUERIES LIMIT`. Opens the database as a server would,
/// answers up to LIMIT queries, prints its memory.
fn serve(args: &[String]) -> Result<()> {
    let [engine, db, queries, limit, ..] = args else { bail!("usage: --serve qabot|strsim DB QUERIES LIMIT") };
    let limit: usize = limit.parse()?;
    let text = std::fs::read_to_string(queries)?;
    let queries: Vec<&str> = text.lines().take(limit).collect();
    let open_kb;
    match engine.as_str() {
        "qabot" => {
            let mut store = Store::open(Path::new(db), Seed::Empty)?;
            open_kb = status_kb("VmRSS")?;
            for q in queries {
                std::hint::black_box(answer::ask(&mut store, q, DEFAULT_THRESHOLD)?);
            }
        }
        "strsim" => {
            let questions = baseline_questions(&Connection::open(db)?)?;
            open_kb = status_kb("VmRSS")?;
            for q in queries {
                std::hint::black_box(strsim_best(&questions, q));
            }
        }
        other => bail!("unknown engine {other}"),
    }
    println!("open_kb={open_kb} rss_kb={} hwm_kb={}", status_kb("VmRSS")?, status_kb("VmHWM")?);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Report

fn report(rows: &[Row], queries: usize) -> String {
    let mut out = String::new();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(out, "\nqabot benchmarks ({cpu}, {cores} cores; synthetic corpus seed {SEED}; `cargo bench`)\n");
    out.push_str(
        "| pairs | interviews | parse JSONL | parse text | load, every index | load baseline (plain inserts) | DB size | of which index | DB size baseline |\n",
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            pairs_label(r.pairs),
            r.interviews,
            r.parse_jsonl.map_or("—".to_owned(), |d| rate(r.pairs, d)),
            rate(r.pairs, r.parse_text),
            timed(r.pairs, r.load),
            timed(r.pairs, r.load_baseline),
            mb(r.size),
            r.index_size.map_or("—".to_owned(), |b| format!("{} ({:.0}%)", mb(b), 100.0 * b as f64 / r.size as f64)),
            mb(r.size_baseline),
        );
    }
    let _ = writeln!(
        out,
        "\n| pairs | match p50 / p99 | strsim scan p50 / p99 | first query | top-1 in scope (strsim) | off-topic rejected | serving RSS: open → {queries} queries (peak) | strsim RSS (peak) |"
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let scan = format!(
            "{} / {}{}",
            ms(r.latency_baseline.p50),
            ms(r.latency_baseline.p99),
            if r.latency_baseline.n < r.latency.n {
                format!(" ({} queries)", r.latency_baseline.n)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "| {} | {} / {} | {} | {} | {} ({}) | {} | {} → {} MB ({} MB) | {} MB ({} MB) |",
            pairs_label(r.pairs),
            ms(r.latency.p50),
            ms(r.latency.p99),
            scan,
            ms(r.first_query),
            r.top1.show(),
            r.top1_baseline.show(),
            r.rejected.show(),
            r.rss.open_kb / 1024,
            r.rss.rss_kb / 1024,
            r.rss.hwm_kb / 1024,
            r.rss_baseline.rss_kb / 1024,
            r.rss_baseline.hwm_kb / 1024,
        );
    }
    out.push_str("\nTop-1 by kind of query, qabot (strsim scan); qabot answers only at confidence ≥ 0.5:\n\n");
    out.push_str("| pairs | paraphrase | verbatim | about the answer |\n|---:|---:|---:|---:|\n");
    for r in rows {
        let cell =
            |kind: &str| r.kinds.get(kind).map_or("—".to_owned(), |(a, b)| format!("{} ({})", a.show(), b.show()));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            pairs_label(r.pairs),
            cell("paraphrase"),
            cell("verbatim"),
            cell("answer")
        );
    }
    out
}

fn pairs_label(pairs: usize) -> String {
    match pairs {
        BUNDLED => "14 (bundled)".to_owned(),
        p if p >= 1000 && p % 1000 == 0 => format!("{}k", p / 1000),
        p => p.to_string(),
    }
}

fn rate(pairs: usize, d: Duration) -> String {
    let per_s = pairs as f64 / d.as_secs_f64().max(1e-9);
    if per_s >= 1e6 {
        format!("{:.1}M pairs/s", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.0}k pairs/s", per_s / 1e3)
    } else {
        format!("{per_s:.0} pairs/s")
    }
}

fn timed(pairs: usize, d: Duration) -> String {
    let secs = d.as_secs_f64();
    let t = if secs >= 1.0 { format!("{secs:.2} s") } else { format!("{:.0} ms", secs * 1e3) };
    format!("{t} ({})", rate(pairs, d))
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn mb(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 10.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.2} MB")
    }
}
