//! Fit the confidence calibration (`data/calibration.json`) on labelled questions, and report
//! what it gives **leave-one-interview-out**: for each interview, the models are fitted without its
//! questions and scored on them.
//!
//! ```sh
//! cargo run --release --example calibrate -- [--corpus DIR] [--dev FILE] [--model DIR] [--write]
//! ```
//!
//! Builds two databases in a temporary folder: the bundled interview alone, and the bundled
//! interview plus every `.txt` in the corpus folder (default `../shared/corpus`); with a model
//! (`--model` or `$QABOT_MODEL`), every pair is embedded. The development questions (default
//! `../shared/eval/dev.jsonl`, interview "seed") are asked of both databases, the corpus questions
//! (`*.questions.jsonl`, grouped by their `interview`) of the second. Then, for ranking with words
//! alone and (with a model) with meaning too: leave-one-interview-out figures, and a fit on all
//! questions, written to `data/calibration.json` with `--write` (without a model, the file's
//! model for embeddings is kept).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use qabot::answer::{self, Semantic};
use qabot::commands::eval::{self, Item, Outcome};
use qabot::commands::load::{self, LoadOptions};
use qabot::search::calibration::{Calibration, Logistic, Signals, WORD_SIGNALS};
use qabot::search::{finish, signals};
use qabot::search::{Context, Scored, DEFAULT_THRESHOLD};
use qabot::store::{Seed, Store};

/// L2 penalty on the standardised weights: strong enough that a dozen signals fitted on ~150
/// questions do not chase single examples.
const L2: f64 = 2.0;
/// Weights of embedding similarity (to the passage, and to the stored question) in the ranking
/// score that the fit chooses from.
const DENSE_WEIGHTS: [f64; 9] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0];
/// Weights of the similarity to the nearest chunk of the answer that the fit chooses from.
const ANSWER_WEIGHTS: [f64; 7] = [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0];

/// One labelled question asked of one database.
struct Sample {
    /// The interview it is about ("seed" for the development questions).
    group: String,
    /// Which database: "seed" (bundled interview alone) or "all".
    db: &'static str,
    item: Item,
    ranked: Vec<Scored>,
    context: Context,
    /// Pairs that are the expected answer.
    right: BTreeSet<i64>,
    /// Stored questions of the candidates, for reports.
    questions: HashMap<i64, String>,
}

struct Args {
    corpus: PathBuf,
    dev: PathBuf,
    model: Option<PathBuf>,
    write: bool,
    /// Samples written by `qabot eval --samples FILE`, with the database they came from
    /// (`seed=FILE`: the bundled interview alone; `all=FILE`: bundled + corpus).
    samples: Vec<(&'static str, PathBuf)>,
    /// Keep the databases in this folder and reuse them when they exist (experiments that change
    /// only ranking or calibration need not load and embed again).
    keep: Option<PathBuf>,
    /// Write every sample (ranking with meaning when a model is given) as JSON Lines here.
    dump: Option<PathBuf>,
    /// Write every question's leave-one-interview-out outcome as JSON Lines here (with meaning
    /// when a model is given), to compare two runs question by question.
    outcomes: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = parse_args()?;
    if let Some(keep) = &args.keep {
        std::fs::create_dir_all(keep)?;
        return run(&args, keep);
    }
    let tmp = std::env::temp_dir().join(format!("qabot-calibrate-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let result = run(&args, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn parse_args() -> Result<Args> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        corpus: root.join("../shared/corpus"),
        dev: root.join("../shared/eval/dev.jsonl"),
        model: std::env::var_os("QABOT_MODEL").filter(|m| !m.is_empty()).map(PathBuf::from),
        write: false,
        samples: Vec::new(),
        keep: None,
        dump: None,
        outcomes: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().map(PathBuf::from).with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--corpus" => args.corpus = value()?,
            "--dev" => args.dev = value()?,
            "--model" => args.model = Some(value()?),
            "--write" => args.write = true,
            "--keep" => args.keep = Some(value()?),
            "--dump" => args.dump = Some(value()?),
            "--outcomes" => args.outcomes = Some(value()?),
            "--samples" => {
                let v = value()?.to_string_lossy().into_owned();
                match v.split_once('=') {
                    Some(("seed", f)) => args.samples.push(("seed", f.into())),
                    Some(("all", f)) => args.samples.push(("all", f.into())),
                    _ => bail!("--samples takes seed=FILE or all=FILE, got {v}"),
                }
            }
            other => bail!(
                "unknown argument {other}; expected --corpus DIR, --dev FILE, --model DIR, --write, --keep DIR, \
                 --dump FILE, --outcomes FILE"
            ),
        }
    }
    Ok(args)
}

fn run(args: &Args, tmp: &Path) -> Result<()> {
    if !args.samples.is_empty() {
        return from_samples(args);
    }
    let mut semantic = match &args.model {
        Some(dir) => Some(Semantic::new(qabot::embed::Embedder::load(dir)?)),
        None => None,
    };
    let dev = eval::read_items(&args.dev)?;
    let mut corpus_items = Vec::new();
    let mut corpus_files = Vec::new();
    for entry in std::fs::read_dir(&args.corpus)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if name.ends_with(".questions.jsonl") {
            corpus_items.extend(eval::read_items(&path)?);
        } else if name.ends_with(".txt") {
            corpus_files.push(path);
        }
    }
    let mut seed_db = open(&tmp.join("seed.db"), &[], semantic.as_ref())?;
    let mut all_db = open(&tmp.join("all.db"), &corpus_files, semantic.as_ref())?;
    let mut modes = vec![("words only", false)];
    if semantic.is_some() {
        modes.push(("words and meaning", true));
    }
    let mut fitted = load_current()?;
    for (label, dense) in modes {
        let sem = if dense { semantic.as_mut() } else { None };
        let samples = collect(&mut seed_db, &mut all_db, sem, &dev, &corpus_items)?;
        println!("\n######## {label} ########");
        if let Some(path) = args.dump.as_ref().filter(|_| dense || semantic.is_none()) {
            dump(&samples, path)?;
        }
        report_loio(&samples, dense, args.outcomes.as_deref())?;
        let all: Vec<&Sample> = samples.iter().collect();
        let cal = fit(&all, dense);
        report_in_sample(&samples, &cal);
        adopt(&mut fitted, cal, dense);
    }
    fitted.fitted = format!(
        "cargo run --profile quick --example calibrate -- --write{} ({} development and {} corpus questions)",
        if args.model.is_some() { " --model DIR" } else { "" },
        dev.len(),
        corpus_items.len()
    );
    if args.write {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/calibration.json");
        std::fs::write(&path, serde_json::to_string_pretty(&fitted)? + "\n")?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Fit from `qabot eval --samples` files (ranked with or without a model, as they were written).
fn from_samples(args: &Args) -> Result<()> {
    let mut samples = Vec::new();
    for (db, path) in &args.samples {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let s: eval::Sample =
                serde_json::from_str(line).with_context(|| format!("{}:{}: not a sample", path.display(), i + 1))?;
            samples.push(Sample {
                group: s.item.interview.clone().unwrap_or_else(|| "seed".to_owned()),
                db,
                item: s.item,
                ranked: s.ranked,
                context: s.context,
                right: s.right.into_iter().collect(),
                questions: s.questions.into_iter().collect(),
            });
        }
    }
    let dense = samples.iter().any(|s| s.context.dense);
    println!("\n######## {} ########", if dense { "words and meaning" } else { "words only" });
    report_loio(&samples, dense, args.outcomes.as_deref())?;
    let all: Vec<&Sample> = samples.iter().collect();
    let cal = fit(&all, dense);
    report_in_sample(&samples, &cal);
    let mut fitted = load_current()?;
    adopt(&mut fitted, cal, dense);
    fitted.fitted = format!(
        "cargo run --release --example calibrate -- --samples seed=S1 --samples all=S2 --write, samples from \
         `calibrate --model DIR --dump` or `qabot eval --samples` ({} samples)",
        samples.len()
    );
    if args.write {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/calibration.json");
        std::fs::write(&path, serde_json::to_string_pretty(&fitted)? + "\n")?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The coefficients in the repository (kept for whatever this run does not refit).
fn load_current() -> Result<Calibration> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/calibration.json");
    Calibration::parse(&std::fs::read_to_string(&path)?)
}

/// Write samples as JSON Lines: `{"db", "group", "sample"}` with `sample` as `qabot eval --samples`
/// writes it, for analyses outside this program.
fn dump(samples: &[Sample], path: &Path) -> Result<()> {
    let mut out = String::new();
    for s in samples {
        let sample = eval::Sample {
            item: s.item.clone(),
            ranked: s.ranked.clone(),
            context: s.context,
            right: s.right.iter().copied().collect(),
            questions: s.questions.iter().map(|(k, v)| (*k, v.clone())).collect(),
        };
        out += &serde_json::to_string(&serde_json::json!({"db": s.db, "group": s.group, "sample": sample}))?;
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

/// A new database with the bundled interview and `files`, every pair embedded when a model is given.
/// A database that exists already (`--keep`) is reused as it is, vectors filled in.
fn open(path: &Path, files: &[PathBuf], semantic: Option<&Semantic>) -> Result<Store> {
    let existed = path.exists();
    let mut store = Store::open(path, Seed::Bundled)?;
    if !files.is_empty() && !existed {
        let summary = load::run(&mut store, files, &LoadOptions::default())?;
        if summary.failed > 0 {
            eprintln!("warning: {} corpus files did not load; their questions count as unanswerable", summary.failed);
        }
    }
    if let Some(semantic) = semantic {
        // A kept database embedded by another model or recipe is re-embedded, never mixed.
        store.delete_other_vectors(&semantic.embedder().identity().to_string())?;
        qabot::commands::embed::fill_missing(&mut store, semantic.embedder(), None, false)?;
    }
    Ok(store)
}

/// Ask every question of its databases.
fn collect(
    seed_db: &mut Store,
    all_db: &mut Store,
    mut semantic: Option<&mut Semantic>,
    dev: &[Item],
    corpus: &[Item],
) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    for item in dev {
        samples.push(sample(seed_db, semantic.as_deref_mut(), "seed", item)?);
    }
    for item in dev.iter().chain(corpus) {
        samples.push(sample(all_db, semantic.as_deref_mut(), "all", item)?);
    }
    Ok(samples)
}

fn sample(store: &mut Store, semantic: Option<&mut Semantic>, db: &'static str, item: &Item) -> Result<Sample> {
    let (_, ranking) = answer::ask_hybrid(store, semantic, &item.question, DEFAULT_THRESHOLD)?;
    let mut right = BTreeSet::new();
    let mut questions = HashMap::new();
    for s in &ranking.ranked {
        let q = store.question(s.pair_id)?.unwrap_or_default();
        if item.expected.as_ref().is_some_and(|e| q.contains(e.as_str())) {
            right.insert(s.pair_id);
        }
        questions.insert(s.pair_id, q);
    }
    Ok(Sample {
        group: item.interview.clone().unwrap_or_else(|| "seed".to_owned()),
        db,
        item: item.clone(),
        ranked: ranking.ranked,
        context: ranking.context,
        right,
        questions,
    })
}

/// Take the model fitted on everything (with meaning: its ranking weights too) into `fitted`.
fn adopt(fitted: &mut Calibration, cal: Calibration, dense: bool) {
    if dense {
        println!("fitted on all: {}", weights(&cal));
        fitted.dense = cal.dense;
        fitted.dense_weight = cal.dense_weight;
        fitted.question_weight = cal.question_weight;
        fitted.answer_weight = cal.answer_weight;
    } else {
        fitted.lexical = cal.lexical;
    }
}

/// The ranking weights of meaning, for the log.
fn weights(cal: &Calibration) -> String {
    format!(
        "dense weight {}, question weight {}, answer weight {}",
        cal.dense_weight, cal.question_weight, cal.answer_weight
    )
}

/// Fit both the ranking weight of meaning (best top-1 on `train`) and the confidence model.
fn fit(train: &[&Sample], dense: bool) -> Calibration {
    let mut cal = load_current().expect("data/calibration.json parses");
    if dense {
        // The pair of weights that ranks the training questions' answers highest (mean reciprocal
        // rank); of equals, the one that ranks most of them first, then the smallest. Reciprocal
        // rank before the count of firsts: the count moves by one question at a time, so the
        // weights it picks jumped between folds (0.5 to 6 for the stored question) on one or two
        // questions; the reciprocal rank also counts the answers ranked second or third.
        let quality = |(w, q, a): (f64, f64, f64)| {
            let c = Calibration { dense_weight: w, question_weight: q, answer_weight: a, ..cal.clone() };
            let mut first = 0;
            let mut reciprocal = 0.0;
            for s in train.iter().filter(|s| s.item.expected.is_some()) {
                let ranked = finish(s.ranked.clone(), &s.context, &c);
                if let Some(at) = ranked.iter().position(|t| s.right.contains(&t.pair_id)) {
                    first += usize::from(at == 0);
                    reciprocal += 1.0 / (at + 1) as f64;
                }
            }
            ((reciprocal * 1e6) as i64, first, -((w + q + a) * 10.0) as i64)
        };
        let grid = DENSE_WEIGHTS
            .iter()
            .flat_map(|&w| DENSE_WEIGHTS.iter().flat_map(move |&q| ANSWER_WEIGHTS.iter().map(move |&a| (w, q, a))));
        let (w, q, a) = grid.max_by_key(|&wqa| quality(wqa)).unwrap_or((0.0, 0.0, 0.0));
        cal.dense_weight = w;
        cal.question_weight = q;
        cal.answer_weight = a;
    }
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    let mut crossed = Vec::new();
    for s in train {
        let ranked = finish(s.ranked.clone(), &s.context, &cal);
        if let Some(top) = ranked.first() {
            let signals = signals(&ranked, 0, &s.context);
            rows.push(signals.values(dense));
            labels.push(s.right.contains(&top.pair_id));
            crossed.push(signals.cross_script > 0.0);
        }
    }
    if dense {
        impute_across_scripts(&mut rows, &crossed);
    }
    // With meaning, weights of the sign each signal's direction says (see `fit_monotone`: free
    // weights on the correlated similarities reversed on the seed interview). The words-only
    // learnt model is not used by qabot and stays a free fit.
    let model = if dense {
        Logistic::fit_monotone(&Signals::names(dense), &rows, &labels, L2)
    } else {
        Logistic::fit(&Signals::names(dense), &rows, &labels, L2)
    };
    if dense {
        cal.dense = model;
    } else {
        cal.lexical = model;
    }
    cal
}

/// Where question and pair are in different scripts, the signals of shared words are not observed:
/// they get the average of the rows where they are, which is what the matcher reads there (the
/// model's mean, see `Calibration::probability`), so they neither raise nor lower the fit.
fn impute_across_scripts(rows: &mut [Vec<f64>], crossed: &[bool]) {
    let names = Signals::names(true);
    let observed: Vec<&Vec<f64>> = rows.iter().zip(crossed).filter(|(_, &c)| !c).map(|(r, _)| r).collect();
    let n = observed.len().max(1) as f64;
    let means: Vec<(usize, f64)> = names
        .iter()
        .enumerate()
        .filter(|(_, name)| WORD_SIGNALS.contains(name))
        .map(|(j, _)| (j, observed.iter().map(|r| r[j]).sum::<f64>() / n))
        .collect();
    for (row, _) in rows.iter_mut().zip(crossed).filter(|(_, &c)| c) {
        for &(j, mean) in &means {
            row[j] = mean;
        }
    }
}

/// Rank a sample with `cal`: whether the best pair is right, and the ranking.
fn rerank(s: &Sample, cal: &Calibration) -> (bool, Vec<Scored>) {
    let ranked = finish(s.ranked.clone(), &s.context, cal);
    (ranked.first().is_some_and(|t| s.right.contains(&t.pair_id)), ranked)
}

/// What `qabot eval` would have reported for this sample with `cal`.
fn outcome(s: &Sample, cal: &Calibration) -> Outcome {
    let (best_right, ranked) = rerank(s, cal);
    let confidence = ranked.first().map_or(0.0, |t| t.confidence);
    let answered = confidence >= DEFAULT_THRESHOLD;
    let top: Vec<(i64, String, f64)> = ranked
        .iter()
        .take(3)
        .map(|t| (t.pair_id, s.questions.get(&t.pair_id).cloned().unwrap_or_default(), t.confidence))
        .collect();
    let in_scope = s.item.expected.is_some();
    Outcome {
        question: s.item.question.clone(),
        expected: s.item.expected.clone(),
        kind: s.item.kind.clone(),
        answered,
        confidence,
        correct: if in_scope { answered && best_right } else { !answered },
        top3: in_scope && top.iter().any(|t| s.right.contains(&t.0)),
        top,
        best_right,
    }
}

/// Which samples a part of the report covers.
type Filter = fn(&Sample) -> bool;

/// Fit without each interview, score its questions, and print the figures.
fn report_loio(samples: &[Sample], dense: bool, write: Option<&Path>) -> Result<()> {
    let groups: BTreeSet<&str> = samples.iter().map(|s| s.group.as_str()).collect();
    let mut outcomes: Vec<(&Sample, Outcome)> = Vec::new();
    for g in groups {
        let train: Vec<&Sample> = samples.iter().filter(|s| s.group != g).collect();
        let cal = fit(&train, dense);
        println!("without {g}: {}", weights(&cal));
        for s in samples.iter().filter(|s| s.group == g) {
            outcomes.push((s, outcome(s, &cal)));
        }
    }
    print_parts(&outcomes, "leave-one-interview-out");
    if let Some(path) = write {
        let mut out = String::new();
        for (s, o) in &outcomes {
            let row = serde_json::json!({"db": s.db, "group": s.group, "dense": dense, "outcome": o});
            out.push_str(&format!("{row}\n"));
        }
        // With a model the run reports words only, then with meaning: the file keeps the last.
        std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Score every sample with `cal`, fitted on them all: in-sample figures, for comparison only.
fn report_in_sample(samples: &[Sample], cal: &Calibration) {
    let outcomes: Vec<(&Sample, Outcome)> = samples.iter().map(|s| (s, outcome(s, cal))).collect();
    print_parts(&outcomes, "in-sample: fitted on these questions, for comparison only");
}

/// Print the figures of each part (corpus, development set with and without the corpus).
fn print_parts(outcomes: &[(&Sample, Outcome)], how: &str) {
    let parts: [(&str, Filter); 3] = [
        ("corpus questions, bundled + corpus loaded", |s| s.group != "seed"),
        ("development questions, bundled + corpus loaded", |s| s.group == "seed" && s.db == "all"),
        ("development questions, bundled interview alone", |s| s.group == "seed" && s.db == "seed"),
    ];
    for (label, keep) in parts {
        let items: Vec<Outcome> = outcomes.iter().filter(|(s, _)| keep(s)).map(|(_, o)| o.clone()).collect();
        let report = eval::report(label, DEFAULT_THRESHOLD, items);
        println!("\n== {label} ({how}) ==\n{}", eval::summary(&report));
    }
}
