//! Matching by meaning at scale: `ask` latency (question embedding included), serving memory and
//! the first `qabot ask` with a sentence-embedding model, over a synthetic corpus whose pairs all
//! have vectors.
//!
//! ```sh
//! QABOT_MODEL=~/models/multilingual-e5-small cargo run --release --example dense_bench
//! QABOT_MODEL=... cargo run --release --example dense_bench -- --pairs 10000 --queries 100
//! ```
//!
//! What it does:
//! - Builds a database of `--pairs` synthetic pairs (`benches/support/synthetic.rs`, seed 1,
//!   loaded with `Store::load` as `qabot load` does).
//! - Embeds the passages, the stored questions (as questions) and the answers' chunks of the first
//!   `--real` pairs with the model (timed: texts/s, wall and CPU), then gives every other pair
//!   vectors written directly: one of the real vectors plus noise, normalised (cosine about 0.9
//!   to the one it came from; for the answer, every chunk vector of one real pair so), in
//!   `pair_vectors`, `question_vectors` and `answer_vectors` as `qabot embed` fills them. Embedding
//!   100k passages on two cores takes hours; vectors made this way keep the narrow band of
//!   similarities real embeddings have, which is what 8-bit quantisation has to get right.
//!   Database size is measured before and after the vectors (bytes per pair, checkpointed).
//! - Quality of the in-memory 8-bit vectors: for each query, the top-10 by f32 vectors (read back
//!   from the database) against `VectorSet::top_k` (overlap, same first, largest score change).
//! - Serving: a fresh child process (this program, `--serve`) loads the model as `qabot serve`
//!   does, opens the database, and answers every query with `answer::ask_hybrid` (the first one
//!   also reads all vectors into memory); it reports model load time, first answer, p50/p99/max
//!   of the others (wall, and CPU time of every thread), and resident memory (VmRSS, peak
//!   VmHWM). Then it asks every question again step by step through the same public functions,
//!   timing each stage (checks, question embedding, the dense scan, passage and question vector
//!   scores, answer vector scores, index lookups, pair texts, the rest of ranking, reading the
//!   reply): where an ask's
//!   time goes, without instrumenting the product.
//! - The command line: when a `qabot` binary is found (`--qabot`, default the one beside this
//!   example in `target/release`), `qabot ask` is run once per question for a few questions, as a
//!   user runs it: wall time and peak memory of each process.
//!
//! Options: `--pairs N` (100000), `--real N` (1000), `--queries N` (300), `--cli N` (5 `qabot ask`
//! processes), `--dir DIR` (keep the database there; default a temporary folder), `--qabot BIN`.
//! With `--dir`, the serving figures can be measured again without rebuilding the database:
//! `dense_bench --serve DIR/dense-100000.db DIR/queries.txt`.

#[path = "../benches/support/files.rs"]
mod files;
#[path = "../benches/support/memory.rs"]
mod memory;
#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use memory::status_kb;
use qabot::answer::{self, Semantic};
use qabot::embed::recipe::{pair_answer_chunks, pair_passage};
use qabot::embed::Embedder;
use qabot::search::postings::PairText;
use qabot::search::{self, Corpus, Vocabulary, DEFAULT_THRESHOLD};
use qabot::store::{dot, Origin, Seed, Store, VectorSet};
use synthetic::Rng;

const SEED: u64 = 1;
/// Cosine similarity of a written vector to the real one it is made from.
const COPY_COSINE: f64 = 0.9;

/// Matching by meaning at scale (see the file's docs).
#[derive(Debug, Parser)]
struct Args {
    /// Synthetic pairs in the database.
    #[arg(long, default_value_t = 100_000)]
    pairs: usize,
    /// Pairs embedded with the model; the others get perturbed copies of their vectors.
    #[arg(long, default_value_t = 1000)]
    real: usize,
    /// Questions asked in the serving process.
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// `qabot ask` processes to time (0: none).
    #[arg(long, default_value_t = 5)]
    cli: usize,
    /// Keep the database in this folder (default: a temporary one).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The `qabot` binary for the command-line figures.
    #[arg(long)]
    qabot: Option<PathBuf>,
    /// The model folder.
    #[arg(long, env = "QABOT_MODEL")]
    model: PathBuf,
    /// Child mode: `--serve DB QUERIES` (used by the benchmark itself).
    #[arg(long, num_args = 2, value_names = ["DB", "QUERIES"])]
    serve: Option<Vec<PathBuf>>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(serve_args) = &args.serve {
        return serve(&args.model, &serve_args[0], &serve_args[1]);
    }
    let temp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let db = dir.join(format!("dense-{}.db", args.pairs));
    files::remove_db(&db)?;
    println!("{}", conditions());

    let corpus = synthetic::generate(args.pairs, SEED);
    let queries = synthetic::queries(&corpus, args.queries, SEED);
    let interviews: Vec<_> = corpus.into_iter().map(|g| g.interview).collect();
    let mut store = Store::open(&db, Seed::Empty)?;
    let start = Instant::now();
    store.load(&interviews, &Origin { path: "corpus.jsonl".to_owned(), stem: "corpus".to_owned() }, false)?;
    drop(interviews);
    let pairs: i64 = store.connection().query_row("SELECT count(*) FROM pairs", [], |r| r.get(0))?;
    println!("loaded {pairs} pairs in {:.1?}", start.elapsed());
    let size_before = checkpointed_size(&store, &db)?;

    let embedder = Embedder::load(&args.model)?;
    let model = embedder.identity().to_string();
    write_vectors(&mut store, &embedder, args.real)?;
    let size_after = checkpointed_size(&store, &db)?;
    println!(
        "database: {:.0} MB without vectors, {:.0} MB with ({:.0} bytes a pair more; {} bytes of vector)",
        size_before as f64 / 1e6,
        size_after as f64 / 1e6,
        (size_after - size_before) as f64 / pairs as f64,
        embedder.dim() * 4
    );
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    quantisation_quality(&store, &model, &embedder, &texts)?;
    drop(embedder);
    drop(store);

    let query_file = dir.join("queries.txt");
    std::fs::write(&query_file, texts.iter().map(|q| format!("{q}\n")).collect::<String>())?;
    if args.cli > 0 {
        match args.qabot.clone().or_else(default_qabot) {
            Some(bin) => cli(&bin, &args.model, &db, &texts[..args.cli.min(texts.len())])?,
            None => println!("qabot ask: no qabot binary found (build it, or give --qabot BIN)"),
        }
    }
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .arg("--model")
        .arg(&args.model)
        .arg("--serve")
        .arg(&db)
        .arg(&query_file)
        .output()
        .context("cannot run the serving child")?;
    if !out.status.success() {
        bail!("serving child failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if args.dir.is_none() {
        files::remove_db(&db)?;
    }
    Ok(())
}

/// The machine and how busy it is.
fn conditions() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| Some(l.strip_prefix("model name")?.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!("{cpu}, {cores} cores, load average {} at start", load.join(" "))
}

/// Embed the passages, the stored questions and the answers' chunks of the first `real` pairs
/// with the model; give every other pair perturbed copies of those vectors. All are stored as
/// `qabot embed` stores them (f32 BLOBs, the model's identity), in `pair_vectors`,
/// `question_vectors` and `answer_vectors`.
fn write_vectors(store: &mut Store, embedder: &Embedder, real: usize) -> Result<()> {
    let model = embedder.identity().to_string();
    let passages = store.passages_missing(&model, 0, real.max(1), pair_passage)?;
    let texts: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
    let vectors = timed_embed("synthetic passages", &texts, |t| embedder.embed_passages(t))?;
    let rows: Vec<_> = passages.into_iter().zip(vectors.iter().cloned()).collect();
    store.put_vectors(&model, &rows, pair_passage)?;
    copy_vectors(store, "pair_vectors", &model, &vectors)?;

    let questions = store.questions_missing(&model, 0, real.max(1))?;
    let texts: Vec<&str> = questions.iter().map(|p| p.text.as_str()).collect();
    let vectors = timed_embed("stored questions (as questions)", &texts, |t| embedder.embed_queries(t))?;
    let rows: Vec<_> = questions.into_iter().zip(vectors.iter().cloned()).collect();
    store.put_question_vectors(&model, &rows)?;
    copy_vectors(store, "question_vectors", &model, &vectors)?;

    let answers = store.answers_missing(&model, 0, real.max(1), pair_answer_chunks)?;
    let texts: Vec<&str> = answers.iter().flat_map(|a| a.chunks.iter().map(String::as_str)).collect();
    let mut vectors = timed_embed("answer chunks", &texts, |t| embedder.embed_passages(t))?.into_iter();
    let rows: Vec<_> = answers
        .into_iter()
        .map(|a| {
            let v = vectors.by_ref().take(a.chunks.len()).collect();
            (a, v)
        })
        .collect();
    store.put_answer_vectors(&model, &rows, pair_answer_chunks)?;
    let real: Vec<Vec<Vec<f32>>> = rows.into_iter().map(|(_, v)| v).filter(|v| !v.is_empty()).collect();
    copy_answer_vectors(store, &model, &real)
}

/// Give every pair without answer vectors a perturbed copy of the chunk vectors of one of `real`
/// (each chunk as [`copy_vectors`] perturbs a vector), written directly.
fn copy_answer_vectors(store: &mut Store, model: &str, real: &[Vec<Vec<f32>>]) -> Result<()> {
    let dim = real[0][0].len();
    let mut rng = Rng::new(SEED ^ 0xD5);
    let conn = store.connection();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM pairs WHERE id NOT IN (SELECT pair_id FROM answer_vectors) ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let mut chunks = 0;
    {
        let mut insert = conn
            .prepare("INSERT INTO answer_vectors(pair_id, model, dim, chunks, vectors) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for id in &ids {
            let base = &real[rng.below(real.len())];
            let blob: Vec<u8> = base.iter().flat_map(|v| perturbed(v, &mut rng)).flat_map(f32::to_le_bytes).collect();
            insert.execute(rusqlite::params![id, model, dim as i64, base.len() as i64, blob])?;
            chunks += base.len();
        }
    }
    conn.execute_batch("COMMIT")?;
    println!(
        "wrote answer vectors of {} more pairs ({chunks} chunks; perturbed copies, cosine ≈ {COPY_COSINE})",
        ids.len()
    );
    Ok(())
}

/// `base` plus noise, normalised: cosine about [`COPY_COSINE`] to `base`.
fn perturbed(base: &[f32], rng: &mut Rng) -> Vec<f32> {
    let sigma = ((1.0 / (COPY_COSINE * COPY_COSINE) - 1.0) / base.len() as f64).sqrt();
    let mut v: Vec<f32> = base.iter().map(|&x| x + (sigma * normal(rng)) as f32).collect();
    let norm = dot(&v, &v).sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// `embed(texts)`, reporting its throughput.
fn timed_embed(what: &str, texts: &[&str], embed: impl Fn(&[&str]) -> Result<Vec<Vec<f32>>>) -> Result<Vec<Vec<f32>>> {
    let (start, start_cpu) = (Instant::now(), cpu_time());
    let vectors = embed(texts)?;
    let (seconds, cpu) = (start.elapsed().as_secs_f64(), (cpu_time() - start_cpu).as_secs_f64());
    println!(
        "embedded {} {what} in {seconds:.1} s ({:.1} a second; CPU {cpu:.1} s, {:.1} per CPU-second; mean {:.0} \
         characters)",
        texts.len(),
        texts.len() as f64 / seconds,
        texts.len() as f64 / cpu.max(1e-9),
        texts.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / texts.len().max(1) as f64
    );
    Ok(vectors)
}

/// Give every pair without a row in `table` (`pair_vectors` or `question_vectors`) a perturbed
/// copy of one of `vectors`, written directly.
fn copy_vectors(store: &mut Store, table: &str, model: &str, vectors: &[Vec<f32>]) -> Result<()> {
    let dim = vectors[0].len();
    // The passage vectors' seed is the one they had before question vectors were written too.
    let mut rng = Rng::new(SEED ^ if table == "pair_vectors" { 0xD3 } else { 0xD4 });
    let conn = store.connection();
    let ids: Vec<i64> = conn
        .prepare(&format!("SELECT id FROM pairs WHERE id NOT IN (SELECT pair_id FROM {table}) ORDER BY id"))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    {
        let mut insert =
            conn.prepare(&format!("INSERT INTO {table}(pair_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4)"))?;
        for id in &ids {
            let v = perturbed(&vectors[rng.below(vectors.len())], &mut rng);
            let blob: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            insert.execute(rusqlite::params![id, model, dim as i64, blob])?;
        }
    }
    conn.execute_batch("COMMIT")?;
    println!("wrote {} more vectors to {table} (perturbed copies, cosine ≈ {COPY_COSINE})", ids.len());
    Ok(())
}

/// A standard normal deviate, near enough (sum of four uniforms, rescaled).
fn normal(rng: &mut Rng) -> f64 {
    ((0..4).map(|_| rng.unit()).sum::<f64>() - 2.0) * 3f64.sqrt()
}

/// Top-10 from the f32 vectors in the database against the 8-bit set held in memory.
fn quantisation_quality(store: &Store, model: &str, embedder: &Embedder, queries: &[&str]) -> Result<()> {
    let k = 10;
    let (mut ids, mut data) = (Vec::new(), Vec::new());
    let mut stmt =
        store.connection().prepare("SELECT pair_id, vector FROM pair_vectors WHERE model = ?1 ORDER BY pair_id")?;
    let mut rows = stmt.query([model])?;
    while let Some(row) = rows.next()? {
        ids.push(row.get::<_, i64>(0)?);
        let blob = row.get_ref(1)?.as_blob()?;
        data.extend(blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
    }
    let dim = embedder.dim();
    let start = Instant::now();
    let set = VectorSet::from_f32(dim, &ids, &data);
    let quantise_time = start.elapsed();
    let vectors = embedder.embed_queries(queries)?;
    let (mut overlap, mut same_first, mut worst) = (0usize, 0usize, 0f32);
    let (mut exact_time, mut scan_times) = (Duration::ZERO, Vec::new());
    for q in &vectors {
        let start = Instant::now();
        let mut exact: Vec<(i64, f32)> = data.chunks_exact(dim).zip(&ids).map(|(v, &id)| (id, dot(v, q))).collect();
        exact.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1));
        exact.truncate(k);
        exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        exact_time += start.elapsed();
        let start = Instant::now();
        let got = set.top_k(q, k);
        scan_times.push(start.elapsed());
        overlap += got.iter().filter(|(g, _)| exact.iter().any(|(e, _)| e == g)).count();
        same_first += usize::from(got[0].0 == exact[0].0);
        for (id, score) in &got {
            let i = ids.binary_search(id).expect("known id");
            worst = worst.max((score - dot(&data[i * dim..(i + 1) * dim], q)).abs());
        }
    }
    let n = vectors.len().max(1);
    scan_times.sort();
    println!(
        "8-bit vectors in memory: {:.0} MB for {} vectors (f32: {:.0} MB), quantised in {:.0?}; top-{k} overlap with \
         f32 {:.3}, same first {}/{n}, largest similarity change {worst:.4}; scan p50 {:.1?} (f32 brute force {:.1?})",
        set.heap_bytes() as f64 / 1e6,
        set.len(),
        (data.len() * 4) as f64 / 1e6,
        quantise_time,
        overlap as f64 / (n * k) as f64,
        same_first,
        scan_times[scan_times.len() / 2],
        exact_time / n as u32,
    );
    Ok(())
}

/// Database size after folding the WAL into the main file.
fn checkpointed_size(store: &Store, path: &Path) -> Result<u64> {
    store.connection().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    Ok(std::fs::metadata(path)?.len() + wal)
}

/// `target/release/qabot` beside this example (`target/release/examples/dense_bench`).
fn default_qabot() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("qabot");
    bin.is_file().then_some(bin)
}

/// Run `qabot ask` once per question, as a user does: wall time and peak memory of each process.
fn cli(bin: &Path, model: &Path, db: &Path, questions: &[&str]) -> Result<()> {
    let mut runs = Vec::new();
    for q in questions {
        let start = Instant::now();
        let mut child = Command::new(bin)
            .arg("--db")
            .arg(db)
            .arg("--model")
            .arg(model)
            .args(["ask", q])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        let (status, peak_kb) = wait_peak(&mut child)?;
        let wall = start.elapsed();
        if !status.success() {
            bail!("{} ask failed ({status})", bin.display());
        }
        runs.push((wall, peak_kb));
    }
    let walls: Vec<String> = runs.iter().map(|(w, _)| format!("{:.2} s", w.as_secs_f64())).collect();
    let peak = runs.iter().map(|r| r.1).max().unwrap_or(0);
    println!("qabot ask, one process per question: {} (peak RSS {} MB)", walls.join(", "), peak / 1024);
    Ok(())
}

/// Wait for `child`; its exit status and peak resident memory in KiB (`wait4`).
#[cfg(unix)]
fn wait_peak(child: &mut std::process::Child) -> Result<(std::process::ExitStatus, u64)> {
    use std::os::unix::process::ExitStatusExt;
    let mut status = 0;
    // SAFETY: `rusage` is plain data, and the pid is our own child, not yet waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    if pid < 0 {
        bail!("wait4: {}", std::io::Error::last_os_error());
    }
    Ok((std::process::ExitStatus::from_raw(status), usage.ru_maxrss as u64))
}

#[cfg(not(unix))]
fn wait_peak(child: &mut std::process::Child) -> Result<(std::process::ExitStatus, u64)> {
    Ok((child.wait()?, 0))
}

/// Child mode: serve every question in `queries` as `qabot serve` would, then report.
fn serve(model: &Path, db: &Path, queries: &Path) -> Result<()> {
    let text = std::fs::read_to_string(queries)?;
    let questions: Vec<&str> = text.lines().collect();
    let start = Instant::now();
    let embedder = Embedder::load(model)?;
    let model_load = start.elapsed();
    let rss_model = status_kb("VmRSS")?;
    let mut store = Store::open(db, Seed::Empty)?;
    let mut semantic = Semantic::new(embedder);
    let start = Instant::now();
    let first = answer::ask_hybrid(&mut store, Some(&mut semantic), questions[0], DEFAULT_THRESHOLD)?;
    let first_time = start.elapsed();
    anyhow::ensure!(first.1.context.dense, "the first question was not matched by meaning");
    let rss_first = status_kb("VmRSS")?;
    let (mut times, mut cpu) = (Vec::with_capacity(questions.len()), Vec::with_capacity(questions.len()));
    for q in &questions[1..] {
        let (start, start_cpu) = (Instant::now(), cpu_time());
        std::hint::black_box(answer::ask_hybrid(&mut store, Some(&mut semantic), q, DEFAULT_THRESHOLD)?);
        times.push(start.elapsed());
        cpu.push(cpu_time().saturating_sub(start_cpu));
    }
    let (wall, cpu) = (percentiles(times), percentiles(cpu));
    println!(
        "serving process: model loaded in {:.2} s ({} MB resident); first ask (reads every vector) {:.2} s \
         ({} MB resident); then {} asks: wall p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; CPU time (all threads) \
         p50 {:.1} ms, p99 {:.1} ms; resident {} MB, peak {} MB",
        model_load.as_secs_f64(),
        rss_model / 1024,
        first_time.as_secs_f64(),
        rss_first / 1024,
        questions.len() - 1,
        wall.0,
        wall.1,
        wall.2,
        cpu.0,
        cpu.1,
        status_kb("VmRSS")? / 1024,
        status_kb("VmHWM")? / 1024,
    );
    // After the figures above: the breakdown holds a second copy of the vectors.
    breakdown(&mut store, semantic.embedder(), &questions)
}

/// The stages of an ask, timed one by one (see [`breakdown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// `refresh` and the vectors' change token: what an ask checks before ranking.
    Checks,
    /// Tokenizing and embedding the question.
    Embed,
    /// The scan over every passage vector for the nearest pairs.
    Scan,
    /// Passage similarity of the lexical candidates the scan did not return.
    PassageScores,
    /// Question vectors of the candidates, read from the database and scored.
    QuestionVectors,
    /// Answer vectors of the candidates, read from the database and scored.
    AnswerVectors,
    /// Index lookups: term ids, document frequencies, posting lists (and cached statistics).
    Lookups,
    /// The candidates' text, read from the database.
    PairTexts,
    /// Everything else in ranking: reading the question, lexical scores, fusion, calibration.
    RankCompute,
    /// Reading what the reply shows: the best pair and the suggestions' questions.
    ReadReply,
}

const STAGES: [Stage; 10] = [
    Stage::Checks,
    Stage::Embed,
    Stage::Scan,
    Stage::PassageScores,
    Stage::QuestionVectors,
    Stage::AnswerVectors,
    Stage::Lookups,
    Stage::PairTexts,
    Stage::RankCompute,
    Stage::ReadReply,
];

/// Wall and CPU time spent in each stage during one question.
#[derive(Default, Clone, Copy)]
struct Spent([(Duration, Duration); STAGES.len()]);

impl Spent {
    /// Run `f`, adding its wall and CPU time to `stage`.
    fn time<T>(&mut self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let (start, start_cpu) = (Instant::now(), cpu_time());
        let value = f();
        let slot = &mut self.0[stage as usize];
        slot.0 += start.elapsed();
        slot.1 += cpu_time().saturating_sub(start_cpu);
        value
    }

    fn total(&self) -> (Duration, Duration) {
        self.0.iter().fold((Duration::ZERO, Duration::ZERO), |a, s| (a.0 + s.0, a.1 + s.1))
    }
}

/// The store's index and a model's vectors, as `answer::ask_hybrid` sees them, with every call
/// timed into its stage.
struct Timed<'a> {
    store: &'a mut Store,
    vectors: &'a VectorSet,
    model: &'a str,
    spent: Spent,
}

impl Corpus for Timed<'_> {
    fn pair_count(&mut self) -> Result<u64> {
        self.spent.time(Stage::Lookups, || self.store.pair_count())
    }
    fn term(&mut self, term: &str) -> Result<Option<(i64, u64)>> {
        self.spent.time(Stage::Lookups, || self.store.term(term))
    }
    fn posting_lists(&mut self, term_id: i64) -> Result<Vec<Vec<u8>>> {
        self.spent.time(Stage::Lookups, || self.store.posting_lists(term_id))
    }
    fn pair_texts(&mut self, ids: &[i64]) -> Result<Vec<(i64, PairText)>> {
        self.spent.time(Stage::PairTexts, || self.store.pair_texts(ids))
    }
    fn vocabulary(&mut self) -> Result<Arc<Vocabulary>> {
        self.spent.time(Stage::Lookups, || self.store.vocabulary())
    }
    fn dense_neighbours(&mut self, query: &[f32], k: usize) -> Result<Vec<(i64, f64)>> {
        let v = self.vectors;
        Ok(self.spent.time(Stage::Scan, || v.top_k(query, k)).into_iter().map(|(id, s)| (id, f64::from(s))).collect())
    }
    fn dense_similarities(&mut self, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        let v = self.vectors;
        Ok(self.spent.time(Stage::PassageScores, || {
            ids.iter().filter_map(|&id| v.similarity(id, query).map(|s| (id, f64::from(s)))).collect()
        }))
    }
    fn question_similarities(&mut self, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        let (store, model) = (&*self.store, self.model);
        self.spent.time(Stage::QuestionVectors, || store.question_vector_similarities(model, query, ids))
    }
    fn answer_similarities(&mut self, query: &[f32], ids: &[i64]) -> Result<Vec<(i64, f64)>> {
        let (store, model) = (&*self.store, self.model);
        self.spent.time(Stage::AnswerVectors, || store.answer_vector_similarities(model, query, ids))
    }
}

/// Per-stage times of every question, asked again outside `answer::ask_hybrid` through the same
/// public steps (the product is not instrumented): the checks, the question's embedding, ranking
/// with every corpus call timed, and the reads the reply makes. Prints p50, p99 and mean of each.
fn breakdown(store: &mut Store, embedder: &Embedder, questions: &[&str]) -> Result<()> {
    let model = embedder.identity().to_string();
    let vectors = store.all_vectors(&model)?;
    let mut all = Vec::with_capacity(questions.len());
    for q in questions {
        let mut spent = Spent::default();
        spent.time(Stage::Checks, || -> Result<_> {
            store.refresh()?;
            store.vectors_version()
        })?;
        let vector = spent.time(Stage::Embed, || embedder.embed_queries(&[q]))?.pop().unwrap_or_default();
        let (ranking, spent_ranking) = store.in_snapshot(|store| {
            let mut timed = Timed { store, vectors: &vectors, model: &model, spent };
            let (start, start_cpu) = (Instant::now(), cpu_time());
            let ranking = search::rank_with(&mut timed, q, Some(&vector))?;
            let (wall, cpu) = (start.elapsed(), cpu_time().saturating_sub(start_cpu));
            let mut spent = timed.spent;
            // What ranking spent outside the corpus calls.
            let inside =
                spent.total().0.saturating_sub(spent.0[Stage::Checks as usize].0 + spent.0[Stage::Embed as usize].0);
            let inside_cpu =
                spent.total().1.saturating_sub(spent.0[Stage::Checks as usize].1 + spent.0[Stage::Embed as usize].1);
            spent.0[Stage::RankCompute as usize] = (wall.saturating_sub(inside), cpu.saturating_sub(inside_cpu));
            spent.time(Stage::ReadReply, || -> Result<()> {
                let mut ranked = ranking.ranked.iter();
                if let Some(best) = ranked.next() {
                    std::hint::black_box(store.pair(best.pair_id)?);
                }
                for s in ranked.take(answer::MAX_SUGGESTIONS) {
                    std::hint::black_box(store.question(s.pair_id)?);
                }
                Ok(())
            })?;
            Ok((ranking, spent))
        })?;
        anyhow::ensure!(ranking.context.dense, "question not matched by meaning: {q}");
        all.push(spent_ranking);
    }
    print_breakdown(&all);
    Ok(())
}

/// One line per stage: wall p50 / p99 / mean, CPU p50 / p99 / mean, share of the mean total.
fn print_breakdown(all: &[Spent]) {
    let n = all.len().max(1) as u32;
    let total: Duration = all.iter().map(|s| s.total().0).sum();
    println!("per-stage breakdown, {} questions (ms; CPU is every thread of the process):", all.len());
    println!(
        "  {:<16} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8} | {:>6}",
        "stage", "wall p50", "p99", "mean", "CPU p50", "p99", "mean", "share"
    );
    let line = |name: &str, walls: Vec<Duration>, cpus: Vec<Duration>| {
        let (wall_mean, cpu_mean) = (walls.iter().sum::<Duration>() / n, cpus.iter().sum::<Duration>() / n);
        let share = wall_mean.as_secs_f64() / (total / n).as_secs_f64().max(1e-12);
        let (w, c) = (percentiles(walls), percentiles(cpus));
        println!(
            "  {name:<16} {:>8.2} {:>8.2} {:>8.2} | {:>8.2} {:>8.2} {:>8.2} | {:>5.1}%",
            w.0,
            w.1,
            wall_mean.as_secs_f64() * 1e3,
            c.0,
            c.1,
            cpu_mean.as_secs_f64() * 1e3,
            share * 100.0
        );
    };
    for stage in STAGES {
        let i = stage as usize;
        line(&format!("{stage:?}"), all.iter().map(|s| s.0[i].0).collect(), all.iter().map(|s| s.0[i].1).collect());
    }
    line("total", all.iter().map(|s| s.total().0).collect(), all.iter().map(|s| s.total().1).collect());
}

/// p50, p99 and max of `times`, in milliseconds.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    let n = times.len().max(1);
    let at = |p: usize| times.get((n * p).div_ceil(100).clamp(1, n) - 1).map_or(0.0, |t| t.as_secs_f64() * 1e3);
    (at(50), at(99), at(100))
}

/// CPU time used by this process so far, every thread included (on a shared machine, a fairer
/// measure of the work than wall time). The process clock, precise to the nanosecond (what
/// `getrusage` reports is rounded to scheduler ticks on some kernels).
#[cfg(unix)]
fn cpu_time() -> Duration {
    // SAFETY: `timespec` is plain data, filled in by the call.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[cfg(not(unix))]
fn cpu_time() -> Duration {
    Duration::ZERO
}
