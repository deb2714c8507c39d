//! What text should a pair's vector be made from? Embeds every pair of a database with several
//! recipes (how the text is folded, how much of the answer follows the question) and reports, per
//! recipe, how often the pair whose stored question contains a labelled question's `expected`
//! text ranks first by embedding similarity alone, and how fast the passages embed.
//!
//! ```sh
//! cargo run --release --example passage_experiment -- DB MODEL_DIR QUESTIONS.jsonl...
//! ```
//! Questions with `"expected": null` are skipped (this measures ranking, not declining). Nothing
//! is fitted, so every question counts as held out. Per recipe: top-1 of the development
//! questions (those without an `interview`) and of the others, top-3 of all, by the passage
//! vectors alone and fused with the stored-question vectors (`6 × passage + 3 × question`, the
//! shipped weights; the questions are folded as the recipe says), and the passages' embedding
//! rate (wall, and per CPU-second of this process: every thread of the model counted).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use qabot::embed::recipe;
use qabot::embed::Embedder;
use qabot::search::{normalize, Corpus};
use qabot::store::{dot, Seed, Store};

/// How a text is folded before the model reads it.
#[derive(Clone, Copy, PartialEq)]
enum Fold {
    /// As written (what qabot embedded before recipes were tagged).
    Raw,
    /// NFKC and traditional → simplified (`recipe::model_text`, shipped).
    Script,
    /// The whole lexical normalisation (also lower case, punctuation removed, numerals, plurals).
    Lexical,
}

impl Fold {
    fn apply(self, text: &str) -> String {
        match self {
            Fold::Raw => text.to_owned(),
            Fold::Script => recipe::model_text(text),
            Fold::Lexical => normalize(text),
        }
    }
    fn label(self) -> &'static str {
        match self {
            Fold::Raw => "raw",
            Fold::Script => "script-folded",
            Fold::Lexical => "lexical normalisation",
        }
    }
}

/// Recipes compared: the fold, and characters of answer text after the question (`usize::MAX`:
/// all, up to the model's 512 tokens).
const VARIANTS: &[(Fold, usize)] = &[
    (Fold::Raw, 200),
    (Fold::Lexical, 200),
    (Fold::Script, 0),
    (Fold::Script, 100),
    (Fold::Script, 200),
    (Fold::Script, 400),
    (Fold::Script, usize::MAX),
];

/// Fusion weights of passage and stored-question similarity (as in `data/calibration.json`).
const FUSION: (f32, f32) = (6.0, 3.0);

/// A pair as the experiment needs it.
struct Pair {
    question: String,
    alternates: Vec<String>,
    answer: Vec<String>,
}

/// A labelled question: its text, the expected substring, and whether it is a development one.
struct Question {
    text: String,
    expected: String,
    dev: bool,
}

/// One text fold with the asked questions' and the stored questions' vectors under it.
type FoldedQuestions = (Fold, Vec<Vec<f32>>, Vec<Vec<f32>>);

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(args.len() >= 3, "usage: passage_experiment DB MODEL_DIR QUESTIONS.jsonl...");
    let mut store = Store::open(Path::new(&args[0]), Seed::Bundled)?;
    let embedder = Embedder::load(Path::new(&args[1]))?;
    let pairs = read_pairs(&mut store)?;
    let questions = read_questions(&args[2..])?;
    println!("{} pairs, {} questions with an expected pair", pairs.len(), questions.len());
    println!(
        "| text given to the model | answer chars | passage chars (mean) | dev top-1 | others top-1 | top-3 | \
         fused dev top-1 | fused others top-1 | pairs/s wall | pairs per CPU-s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut folded: Vec<FoldedQuestions> = Vec::new();
    for &(fold, chars) in VARIANTS {
        if !folded.iter().any(|(f, _, _)| *f == fold) {
            let asked: Vec<String> = questions.iter().map(|q| format!("query: {}", fold.apply(&q.text))).collect();
            let stored: Vec<String> = pairs.iter().map(|p| format!("query: {}", fold.apply(&p.question))).collect();
            folded.push((fold, embed(&embedder, &asked)?, embed(&embedder, &stored)?));
        }
        let (_, asked, stored) = folded.iter().find(|(f, _, _)| *f == fold).expect("embedded above");
        let passages: Vec<String> = pairs
            .iter()
            .map(|p| {
                let text = recipe::passage(&p.question, &p.alternates, p.answer.iter().map(String::as_str), chars);
                format!("passage: {}", fold.apply(&text))
            })
            .collect();
        let mean_chars = passages.iter().map(|p| p.chars().count()).sum::<usize>() / pairs.len().max(1);
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let vectors = embed(&embedder, &passages)?;
        let wall = wall.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let alone = score(&pairs, &questions, |q, i| dot(&vectors[i], &asked[q]));
        let fused = score(&pairs, &questions, |q, i| {
            FUSION.0 * dot(&vectors[i], &asked[q]) + FUSION.1 * dot(&stored[i], &asked[q])
        });
        let label = if chars == usize::MAX { "all".to_owned() } else { chars.to_string() };
        let n = pairs.len() as f64;
        println!(
            "| {} | {label} | {mean_chars} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} |",
            fold.label(),
            alone.0,
            alone.1,
            alone.2,
            fused.0,
            fused.1,
            n / wall,
            n / cpu.max(1e-9)
        );
    }
    let texts: Vec<&str> = questions.iter().map(|q| q.text.as_str()).collect();
    query_latency(&embedder, &texts)?;
    scan_latency(embedder.dim());
    Ok(())
}

/// Embed texts exactly as given (prefix and folding included).
fn embed(embedder: &Embedder, texts: &[String]) -> Result<Vec<Vec<f32>>> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed_raw(&refs)
}

/// CPU time (user + system, every thread) this process has used, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct it is given and nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Embedding one question at a time, as `ask` does: median and 99th percentile.
fn query_latency(embedder: &Embedder, texts: &[&str]) -> Result<()> {
    let mut times = Vec::new();
    for text in texts {
        let start = Instant::now();
        embedder.embed_queries(&[text])?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!("query embedding: p50 {:.1} ms, p99 {:.1} ms ({} questions)", at(0.5), at(0.99), times.len());
    Ok(())
}

/// A brute-force top-10 over 100,000 random unit vectors (the in-memory `VectorSet` scan).
fn scan_latency(dim: usize) {
    let n = 100_000;
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    let mut set = qabot::store::VectorSet::with_capacity(dim, n);
    for id in 1..=n as i64 {
        let vector: Vec<f32> = (0..dim).map(|_| next()).collect();
        set.push(id, &vector);
    }
    let query: Vec<f32> = (0..dim).map(|_| next()).collect();
    let mut times = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        std::hint::black_box(set.top_k(&query, 10));
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "top-10 scan over {n} vectors ({} MB held): p50 {:.1} ms, max {:.1} ms",
        set.heap_bytes() / 1_000_000,
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

/// Every pair: question, alternates, answer turns.
fn read_pairs(store: &mut Store) -> Result<Vec<Pair>> {
    let ids: Vec<i64> = (1..=store.max_pair_id()?.unwrap_or(0)).collect();
    let texts = store.pair_texts(&ids)?;
    Ok(texts
        .into_iter()
        .map(|(_, t)| Pair {
            question: t.question,
            alternates: t.alternates,
            answer: t.turns.into_iter().map(|(_, text)| text).collect(),
        })
        .collect())
}

/// Every labelled question with an expected pair.
fn read_questions(files: &[String]) -> Result<Vec<Question>> {
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line)?;
            if let (Some(q), Some(e)) = (v["question"].as_str(), v["expected"].as_str()) {
                let dev = v["interview"].as_str().is_none();
                out.push(Question { text: q.to_owned(), expected: e.to_owned(), dev });
            }
        }
    }
    Ok(out)
}

/// Top-1 of the development questions, top-1 of the others, and top-3 of all, ranking every pair
/// by `similarity(question index, pair index)`.
fn score(pairs: &[Pair], questions: &[Question], similarity: impl Fn(usize, usize) -> f32) -> (f64, f64, f64) {
    let (mut dev, mut others, mut top3) = ((0, 0), (0, 0), 0);
    for (q, question) in questions.iter().enumerate() {
        let mut ranked: Vec<(usize, f32)> = (0..pairs.len()).map(|i| (i, similarity(q, i))).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let hit = |r: usize| pairs[ranked[r].0].question.contains(question.expected.as_str());
        let first = usize::from(!ranked.is_empty() && hit(0));
        let group = if question.dev { &mut dev } else { &mut others };
        *group = (group.0 + first, group.1 + 1);
        top3 += usize::from((0..3.min(ranked.len())).any(hit));
    }
    let share = |(right, n): (usize, usize)| right as f64 / n.max(1) as f64;
    (share(dev), share(others), top3 as f64 / questions.len().max(1) as f64)
}
