//! How much of a pair's answer should its embedded passage hold? Embeds every pair of a database
//! with several amounts of answer text and reports, per amount, how often the pair whose question
//! contains a labelled question's `expected` text ranks first by cosine similarity alone.
//!
//! ```sh
//! cargo run --release --example passage_experiment -- DB MODEL_DIR QUESTIONS.jsonl...
//! ```
//! Questions with `"expected": null` are skipped (this measures ranking, not declining).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use qabot::embed::Embedder;
use qabot::store::{dot, Seed, Store};

/// Characters of answer text appended to the question (`usize::MAX`: all, up to the token limit).
const VARIANTS: &[usize] = &[0, 100, 200, 400, usize::MAX];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(args.len() >= 3, "usage: passage_experiment DB MODEL_DIR QUESTIONS.jsonl...");
    let store = Store::open(Path::new(&args[0]), Seed::Bundled)?;
    let embedder = Embedder::load(Path::new(&args[1]))?;
    let pairs = read_pairs(&store)?;
    let questions = read_questions(&args[2..])?;
    let texts: Vec<&str> = questions.iter().map(|(q, _)| q.as_str()).collect();
    let query_vectors = embedder.embed_queries(&texts)?;
    println!("{} pairs, {} questions with an expected pair", pairs.len(), questions.len());
    println!("| answer chars in passage | top-1 | top-3 | pairs/s |");
    println!("|---|---|---|---|");
    for &chars in VARIANTS {
        let passages: Vec<String> = pairs.iter().map(|(_, q, a)| passage(q, a, chars)).collect();
        let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
        let start = Instant::now();
        let vectors = embedder.embed_passages(&refs)?;
        let rate = pairs.len() as f64 / start.elapsed().as_secs_f64();
        let (top1, top3) = score(&pairs, &vectors, &questions, &query_vectors);
        let label = if chars == usize::MAX { "all".to_owned() } else { chars.to_string() };
        println!("| {label} | {top1:.3} | {top3:.3} | {rate:.1} |");
    }
    query_latency(&embedder, &texts)?;
    scan_latency(embedder.dim());
    Ok(())
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

fn passage(question: &str, answer: &str, chars: usize) -> String {
    let start: String = answer.chars().take(chars).collect();
    if start.is_empty() {
        question.to_owned()
    } else {
        format!("{question}\n{start}")
    }
}

/// (id, question, answer text) of every pair.
fn read_pairs(store: &Store) -> Result<Vec<(i64, String, String)>> {
    let mut out = Vec::new();
    for id in 1..=store.max_pair_id()?.unwrap_or(0) {
        if let Some(pair) = store.pair(id)? {
            let answer = pair.turns.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join("\n");
            out.push((id, pair.question, answer));
        }
    }
    Ok(out)
}

/// (question, expected substring) of every labelled question with an expected pair.
fn read_questions(files: &[String]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file}"))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line)?;
            if let (Some(q), Some(e)) = (v["question"].as_str(), v["expected"].as_str()) {
                out.push((q.to_owned(), e.to_owned()));
            }
        }
    }
    Ok(out)
}

/// Share of questions whose expected pair ranks first, and within the first three.
fn score(
    pairs: &[(i64, String, String)],
    vectors: &[Vec<f32>],
    questions: &[(String, String)],
    query_vectors: &[Vec<f32>],
) -> (f64, f64) {
    let (mut top1, mut top3) = (0, 0);
    for ((_, expected), q) in questions.iter().zip(query_vectors) {
        let mut ranked: Vec<(usize, f32)> = vectors.iter().enumerate().map(|(i, v)| (i, dot(v, q))).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let hit = |i: usize| pairs[ranked[i].0].1.contains(expected.as_str());
        top1 += usize::from(hit(0));
        top3 += usize::from((0..3.min(ranked.len())).any(hit));
    }
    let n = questions.len().max(1) as f64;
    (top1 as f64 / n, top3 as f64 / n)
}
