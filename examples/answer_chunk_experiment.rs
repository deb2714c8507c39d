//! Would reading the whole answer, in short chunks, rank better? A pair's passage vector holds its
//! question and the first 200 characters of its answer; an answer-content question may be about
//! a sentence further on. This embeds every answer in chunks (sentences packed up to a size) and
//! re-ranks `calibrate`'s candidates by their shipped score + `w` × the best chunk's similarity
//! to the question, for several chunk sizes and weights, and reports how often the expected pair
//! comes first (development questions, corpus questions), and how often the best-scored pair's
//! best chunk is also the nearest chunk of all candidates, for right, wrong and out-of-scope
//! answers (is it a confidence signal?).
//!
//! ```sh
//! cargo run --profile quick --example calibrate -- --model MODEL_DIR --keep /tmp/calib --dump /tmp/calib/dump.jsonl
//! cargo run --profile quick --example answer_chunk_experiment -- /tmp/calib/all.db MODEL_DIR /tmp/calib/dump.jsonl
//! ```
//! Reads the samples of the bundled + corpus database (`"db": "all"`). Nothing is fitted here:
//! the weights are a grid, every row is shown. Answers are cut as the shipped recipe cuts them
//! (`embed::recipe::answer_chunks`, which this experiment led to), at each size compared.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use qabot::embed::recipe::answer_chunks;
use qabot::embed::Embedder;
use qabot::search::Corpus;
use qabot::store::{dot, Seed, Store};

/// Chunk sizes compared, in units of about a token (a Chinese character counts 1, other
/// characters a quarter); `f64::INFINITY`: each answer turn whole (cut at the model's limit).
const SIZES: [f64; 4] = [50.0, 100.0, 200.0, f64::INFINITY];
/// Weights of the best chunk's similarity added to the ranking score.
const WEIGHTS: [f64; 7] = [0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0];

/// One labelled question's candidates as `calibrate --dump` wrote them.
struct Sample {
    question: String,
    expected: Option<String>,
    dev: bool,
    /// (pair id, shipped ranking score)
    candidates: Vec<(i64, f64)>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(args.len() == 3, "usage: answer_chunk_experiment ALL.db MODEL_DIR DUMP.jsonl");
    let mut store = Store::open(Path::new(&args[0]), Seed::Bundled)?;
    let embedder = Embedder::load(Path::new(&args[1]))?;
    let samples = read_samples(Path::new(&args[2]))?;
    let ids: Vec<i64> = (1..=store.max_pair_id()?.unwrap_or(0)).collect();
    let texts = store.pair_texts(&ids)?;
    let stored: HashMap<i64, String> = texts.iter().map(|(id, t)| (*id, t.question.clone())).collect();
    let asked: Vec<&str> = samples.iter().map(|s| s.question.as_str()).collect();
    let queries = embedder.embed_queries(&asked)?;
    println!("{} pairs, {} questions", texts.len(), samples.len());
    print!("| chunk size | chunks |");
    WEIGHTS.iter().for_each(|w| print!(" w = {w}: dev / corpus top-1 |"));
    println!(" best chunk also nearest of all: right / wrong / out of scope |");
    println!("|---|---|{}---|", "---|".repeat(WEIGHTS.len()));
    for size in SIZES {
        let mut owners = Vec::new();
        let mut chunks = Vec::new();
        for (id, text) in &texts {
            for chunk in answer_chunks(text.turns.iter().map(|(_, t)| t.as_str()), size) {
                owners.push(*id);
                chunks.push(chunk);
            }
        }
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        let vectors = embedder.embed_passages(&refs)?;
        let best: Vec<HashMap<i64, f64>> = queries
            .iter()
            .map(|q| {
                let mut best = HashMap::new();
                for (owner, v) in owners.iter().zip(&vectors) {
                    let s = f64::from(dot(v, q));
                    let e = best.entry(*owner).or_insert(f64::MIN);
                    *e = f64::max(*e, s);
                }
                best
            })
            .collect();
        let label = if size.is_finite() { size.to_string() } else { "whole turn".to_owned() };
        print!("| {label} | {} |", chunks.len());
        for w in WEIGHTS {
            let (dev, corpus) = top1(&samples, &best, &stored, w);
            print!(" {}/{} · {}/{} |", dev.0, dev.1, corpus.0, corpus.1);
        }
        let [right, wrong, out] = nearest_shares(&samples, &best, &stored);
        println!(" {right} / {wrong} / {out} |");
    }
    Ok(())
}

fn is_right(sample: &Sample, stored: &HashMap<i64, String>, id: i64) -> bool {
    sample.expected.as_deref().is_some_and(|e| stored.get(&id).is_some_and(|q| q.contains(e)))
}

/// (right, asked) for development and for corpus questions with an expected pair, ranking by
/// score + `w` × best chunk similarity.
fn top1(
    samples: &[Sample],
    best: &[HashMap<i64, f64>],
    stored: &HashMap<i64, String>,
    w: f64,
) -> ((usize, usize), (usize, usize)) {
    let (mut dev, mut corpus) = ((0, 0), (0, 0));
    for (s, best) in samples.iter().zip(best).filter(|(s, _)| s.expected.is_some()) {
        let value = |&(id, score): &(i64, f64)| score + w * best.get(&id).copied().unwrap_or(0.0);
        let top = s.candidates.iter().max_by(|a, b| value(a).total_cmp(&value(b)));
        let hit = usize::from(top.is_some_and(|&(id, _)| is_right(s, stored, id)));
        let group = if s.dev { &mut dev } else { &mut corpus };
        *group = (group.0 + hit, group.1 + 1);
    }
    (dev, corpus)
}

/// For the best-scored pair: is its best chunk the nearest chunk of all pairs? As "k/n" for right
/// answers, wrong answers, and out-of-scope questions.
fn nearest_shares(samples: &[Sample], best: &[HashMap<i64, f64>], stored: &HashMap<i64, String>) -> [String; 3] {
    let mut counts = [(0, 0); 3];
    for (s, best) in samples.iter().zip(best) {
        let Some(&(top, _)) = s.candidates.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        let mine = best.get(&top).copied().unwrap_or(f64::MIN);
        let nearest = best.iter().all(|(id, v)| *id == top || *v <= mine);
        let kind = if s.expected.is_none() { 2 } else { usize::from(!is_right(s, stored, top)) };
        counts[kind] = (counts[kind].0 + usize::from(nearest), counts[kind].1 + 1);
    }
    counts.map(|(k, n)| format!("{k}/{n}"))
}

fn read_samples(path: &Path) -> Result<Vec<Sample>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        if v["db"] != "all" {
            continue;
        }
        let item = &v["sample"]["item"];
        let candidates = v["sample"]["ranked"]
            .as_array()
            .context("a sample without `ranked`")?
            .iter()
            .filter_map(|r| Some((r["pair_id"].as_i64()?, r["score"].as_f64()?)))
            .collect();
        out.push(Sample {
            question: item["question"].as_str().unwrap_or_default().to_owned(),
            expected: item["expected"].as_str().map(str::to_owned),
            dev: v["group"] == "seed",
            candidates,
        });
    }
    Ok(out)
}
