//! Write a deterministic synthetic corpus of Chinese interviews, for benchmarks and load tests.
//!
//! ```sh
//! cargo run --release --example synthetic -- --pairs 100000 --seed 1 --format jsonl --out /tmp/corpus.jsonl
//! cargo run --release --example synthetic -- --pairs 1000 --format txt --out /tmp/corpus/   # one file per interview
//! cargo run --release --example synthetic -- --pairs 100000 --format queries --queries 300 --out /tmp/queries.txt
//! ```
//!
//! The same `--pairs` and `--seed` always give the same bytes. `queries` writes questions to ask
//! the bot about that corpus, one per line (paraphrases, verbatim questions and off-topic ones).
//! The generator is `benches/support/synthetic.rs`, shared with `cargo bench`.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One interview per line, in one file.
    Jsonl,
    /// Transcript text in the bundled interview's layout, one `.txt` file per interview in a folder.
    Txt,
    /// Questions to ask about the corpus, one per line.
    Queries,
}

/// Write a deterministic synthetic corpus of Chinese interviews.
#[derive(Debug, Parser)]
struct Args {
    /// Total question/answer pairs (10–30 per interview).
    #[arg(long, default_value_t = 1000)]
    pairs: usize,
    /// Random seed: the same seed and size give the same corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What to write.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
    /// Output file (jsonl, queries) or folder (txt); `-` is standard output for jsonl and queries.
    #[arg(long, default_value = "-")]
    out: PathBuf,
    /// Number of queries for `--format queries`.
    #[arg(long, default_value_t = 300)]
    queries: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let corpus = synthetic::generate(args.pairs, args.seed);
    match args.format {
        Format::Jsonl => write_out(&args.out, synthetic::to_jsonl(&corpus).as_bytes())?,
        Format::Queries => {
            let mut text = String::new();
            for q in synthetic::queries(&corpus, args.queries, args.seed) {
                text.push_str(&q.text);
                text.push('\n');
            }
            write_out(&args.out, text.as_bytes())?;
        }
        Format::Txt => {
            anyhow::ensure!(args.out.as_os_str() != "-", "--format txt needs --out FOLDER");
            std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
            for g in &corpus {
                let path = args.out.join(format!("{}.txt", g.slug()));
                std::fs::write(&path, synthetic::to_text(&g.interview, args.seed))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    let interviews = corpus.len();
    eprintln!("{} pairs in {interviews} interviews (seed {})", args.pairs, args.seed);
    Ok(())
}

fn write_out(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    if path.as_os_str() == "-" {
        std::io::stdout().lock().write_all(bytes)?;
    } else {
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use qabot::transcript::{json, parse_bytes, Format};

    use super::synthetic::{self, Rng};

    #[test]
    fn same_seed_same_corpus() {
        let a = synthetic::to_jsonl(&synthetic::generate(300, 7));
        let b = synthetic::to_jsonl(&synthetic::generate(300, 7));
        let c = synthetic::to_jsonl(&synthetic::generate(300, 8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn sizes_and_shapes_are_as_promised() {
        let corpus = synthetic::generate(2000, 3);
        let pairs: usize = corpus.iter().map(|g| g.interview.pairs.len()).sum();
        assert_eq!(pairs, 2000);
        let chars = |s: &str| s.chars().count();
        for g in &corpus[..corpus.len() - 1] {
            assert!((10..=30).contains(&g.interview.pairs.len()));
        }
        let mut question_lengths = Vec::new();
        let mut answer_lengths = Vec::new();
        for pair in corpus.iter().flat_map(|g| &g.interview.pairs) {
            assert!(pair.question.ends_with('?'), "{}", pair.question);
            assert!((1..=3).contains(&pair.turns.len()));
            question_lengths.push(chars(&pair.question));
            answer_lengths.push(pair.turns.iter().map(|t| chars(&t.text)).sum::<usize>());
        }
        let median = |v: &mut Vec<usize>| {
            v.sort_unstable();
            v[v.len() / 2]
        };
        assert!((20..=60).contains(&median(&mut question_lengths)), "{question_lengths:?}");
        assert!((150..=420).contains(&median(&mut answer_lengths)));
    }

    #[test]
    fn jsonl_loads_back_identically() {
        let corpus = synthetic::generate(500, 2);
        let parsed = json::parse_lines(&synthetic::to_jsonl(&corpus)).unwrap();
        assert_eq!(parsed.len(), corpus.len());
        for ((_, parsed), g) in parsed.iter().zip(&corpus) {
            assert_eq!(parsed, &g.interview);
        }
    }

    /// The transcript form parses to the same interview, less what only JSON carries.
    #[test]
    fn transcripts_parse_to_the_same_pairs() {
        let corpus = synthetic::generate(1500, 5);
        for g in &corpus {
            let text = synthetic::to_text(&g.interview, 5);
            let parsed = parse_bytes(text.as_bytes(), Format::Text, g.slug())
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", g.slug()));
            let (_, got) = &parsed.interviews[0];
            let want = &g.interview;
            assert_eq!(got.title, want.title);
            assert_eq!(got.notes, want.notes, "{}", g.slug());
            assert_eq!(got.pairs.len(), want.pairs.len(), "{}", g.slug());
            for (a, b) in got.pairs.iter().zip(&want.pairs) {
                assert_eq!(a.question, b.question, "{}", g.slug());
                assert_eq!(a.turns, b.turns, "{}", g.slug());
            }
        }
    }

    #[test]
    fn queries_target_real_pairs() {
        let corpus = synthetic::generate(1000, 4);
        let queries = synthetic::queries(&corpus, 200, 4);
        assert_eq!(queries.len(), 200);
        let off = queries.iter().filter(|q| q.target.is_none()).count();
        assert!((20..=70).contains(&off), "{off} off-topic queries");
        for q in &queries {
            assert!(!q.text.trim().is_empty());
            if let Some((slug, position)) = &q.target {
                let g = corpus.iter().find(|g| g.slug() == slug).unwrap();
                assert!(*position >= 1 && *position <= g.interview.pairs.len());
            }
        }
    }

    #[test]
    fn rng_is_uniform_enough() {
        let mut rng = Rng::new(1);
        let mut counts = [0usize; 10];
        for _ in 0..100_000 {
            counts[rng.below(10)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_000..11_000).contains(&c)), "{counts:?}");
    }
}
