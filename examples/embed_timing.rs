//! What embedding one question costs: the encoder alone (tokenizing excluded), CPU time of the
//! whole process (every thread, rayon's spinning workers included) and wall time per question,
//! for the weights held as `qabot` holds them (the file's precision, fp16 for the shipped model;
//! word embeddings read from the file) with the two fastest kernels the processor runs, and
//! converted to f32 at load with AVX2 (the arithmetic before fp16 weights and AVX-512), each with
//! the products on one thread or split over rayon's pool.
//!
//! ```sh
//! cargo run --profile quick --example embed_timing -- MODEL_DIR QUESTIONS.jsonl [REPEATS]
//! ```
//!
//! Every question (`question` field of each JSONL line, prefixed `query: ` and script-folded as
//! `qabot ask` does) is embedded `REPEATS` times (10) by every variant, the variants taking
//! turns question by question so that load from other processes falls on all of them alike.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use candle_transformers::models::bert::Config;
use qabot::embed::encoder::{Encoder, Threads, WORD_EMBEDDINGS};
use qabot::embed::kernels::Kernel;
use qabot::embed::{recipe, weights, QUERY_PREFIX};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, questions, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: embed_timing MODEL_DIR QUESTIONS.jsonl [REPEATS]");
    };
    let repeats: usize = rest.first().map(|r| r.parse()).transpose()?.unwrap_or(10);
    let dir = Path::new(dir);
    let config: Config = serde_json::from_str(&std::fs::read_to_string(dir.join("config.json"))?)?;
    let tokenizer = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).map_err(anyhow::Error::msg)?;
    let ids = question_ids(&tokenizer, Path::new(questions), config.max_position_embeddings)?;
    let file = dir.join("model.safetensors");
    let mut encoders = Vec::new();
    for kernel in Kernel::available().into_iter().rev().take(2) {
        // As `Embedder::load` does: file precision, word embeddings read from the file.
        let (arrays, rows) = weights::load_arrays_leaving(&file, |n| n.ends_with(WORD_EMBEDDINGS))?;
        let encoder = Encoder::with_rows(arrays, rows, &config)?.with_kernel(kernel);
        encoders.push((format!("file precision, {kernel:?}"), encoder));
    }
    // The arithmetic before fp16 weights and AVX-512: f32 panels, AVX2 when the processor has it.
    let before = *Kernel::available().iter().rev().find(|&&k| k != Kernel::Avx512).unwrap_or(&Kernel::Portable);
    let f32_weights = Encoder::new(weights::load_f32_arrays(&file)?, &config)?.with_kernel(before);
    encoders.push((format!("f32, {before:?}"), f32_weights));
    let variants: Vec<(String, &Encoder, Threads)> = encoders
        .iter()
        .flat_map(|(name, e)| {
            let label = |t: &str| format!("{name} (fp16: {}), {t}", e.holds_f16());
            [(label("split"), e, Threads::Split), (label("one thread"), e, Threads::One)]
        })
        .collect();
    let tokens: Vec<usize> = ids.iter().map(Vec::len).collect();
    println!(
        "{} questions x {repeats}, tokens min/median/max {}/{}/{}",
        ids.len(),
        tokens.iter().min().unwrap_or(&0),
        percentile(&tokens, 0.5),
        tokens.iter().max().unwrap_or(&0)
    );
    // One untimed pass: pages touched, rayon's pool started.
    for (_, encoder, threads) in &variants {
        encoder.embed(&ids[0], *threads)?;
    }
    let mut samples: Vec<(Vec<Duration>, Vec<Duration>)> = vec![Default::default(); variants.len()];
    let mut faults = vec![0i64; variants.len()];
    for _ in 0..repeats {
        for question in &ids {
            for (((_, encoder, threads), (cpu, wall)), faults) in variants.iter().zip(&mut samples).zip(&mut faults) {
                let (c0, w0, f0) = (cpu_time(), Instant::now(), minor_faults());
                encoder.embed(question, *threads)?;
                wall.push(w0.elapsed());
                cpu.push(cpu_time() - c0);
                *faults += minor_faults() - f0;
            }
        }
    }
    for (((name, ..), (cpu, wall)), faults) in variants.iter().zip(&samples).zip(&faults) {
        println!(
            "{name:46} CPU ms p50 {} p90 {} p99 {} mean {} | wall ms p50 {} p99 {} mean {} | page faults {:.1}",
            ms(percentile(cpu, 0.5)),
            ms(percentile(cpu, 0.9)),
            ms(percentile(cpu, 0.99)),
            ms(mean(cpu)),
            ms(percentile(wall, 0.5)),
            ms(percentile(wall, 0.99)),
            ms(mean(wall)),
            *faults as f64 / cpu.len() as f64
        );
    }
    Ok(())
}

/// The token ids of every question of a JSONL file, as `qabot ask` gives them to the model.
fn question_ids(tokenizer: &tokenizers::Tokenizer, path: &Path, max: usize) -> Result<Vec<Vec<u32>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line)?;
        let question = value["question"].as_str().context("a line without `question`")?;
        let input = format!("{QUERY_PREFIX}{}", recipe::model_text(question));
        let encoding = tokenizer.encode(input.as_str(), true).map_err(anyhow::Error::msg)?;
        let mut ids = encoding.get_ids().to_vec();
        ids.truncate(max);
        out.push(ids);
    }
    Ok(out)
}

fn percentile<T: Copy + Ord>(values: &[T], q: f64) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn mean(values: &[Duration]) -> Duration {
    values.iter().sum::<Duration>() / values.len().max(1) as u32
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// CPU time of every thread of the process so far.
#[cfg(unix)]
fn cpu_time() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the struct it is given and nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Minor page faults of the process so far (memory the kernel had to map and zero).
#[cfg(unix)]
fn minor_faults() -> i64 {
    // SAFETY: an all-zero rusage is valid; getrusage fills the struct it is given and nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_minflt
}

#[cfg(not(unix))]
fn minor_faults() -> i64 {
    0
}

/// Without a process CPU clock, wall time stands in.
#[cfg(not(unix))]
fn cpu_time() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}
