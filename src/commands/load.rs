//! `qabot load`: files and folders of interviews into the database, with a summary.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use crate::store::{slug_of, LoadAction, LoadMode, LoadReport, Loader, Origin, Store};
use crate::transcript::stream::JsonLines;
use crate::transcript::{self, FileError, Format, Interview, Warning};

/// Options of `qabot load`.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Report what would happen without writing.
    pub dry_run: bool,
    /// Stop at the first failure (a warning counts as one) and load nothing at all.
    pub strict: bool,
    /// Who answers and who asks in files that name no one (`--answerer`, `--interviewer`).
    pub parse: transcript::ParseOptions,
    /// Largest file read, in bytes (None: [`transcript::file::DEFAULT_MAX_FILE_SIZE`]).
    pub max_file_size: Option<u64>,
}

/// Totals over a load run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// New interviews.
    pub loaded: usize,
    /// Interviews replaced by a changed version.
    pub replaced: usize,
    /// Interviews identical to what was stored.
    pub unchanged: usize,
    /// Files that failed.
    pub failed: usize,
    /// Pairs in loaded and replaced interviews.
    pub pairs: usize,
    /// Speakers that did not exist before.
    pub speakers: usize,
    /// Files with warnings, and how many each.
    pub warnings: Vec<(PathBuf, usize)>,
}

/// Load every interview file under `paths`. Returns the summary; `summary.failed > 0` means the
/// command should exit unsuccessfully.
///
/// Files are read and stored one at a time, and a JSONL file one interview at a time, so memory
/// does not grow with the number of files or interviews.
pub fn run(store: &mut Store, paths: &[PathBuf], options: &LoadOptions) -> Result<Summary> {
    store.check_integrity()?;
    let mut summary = Summary::default();
    let files = collect(paths, &mut summary);
    // A strict dry run goes on, to list every problem at once.
    let stop_at_failure = options.strict && !options.dry_run;
    if stop_at_failure && summary.failed > 0 {
        eprintln!("error: nothing loaded (--strict stops at the first failure)");
        return Ok(summary);
    }
    // Missing paths were reported as errors already: warn only about folders that hold nothing.
    let existing: Vec<PathBuf> = paths.iter().filter(|p| p.exists()).cloned().collect();
    if files.is_empty() && !existing.is_empty() {
        eprintln!("warning: no interview files (.txt .md .json .jsonl) found in {}", describe(&existing));
    }
    let stored = store_files(store, &files, options, &mut summary)?;
    if stop_at_failure && !stored {
        eprintln!("error: nothing loaded (--strict loads all files or none)");
        return Ok(summary);
    }
    if options.strict && options.dry_run && summary.failed > 0 {
        eprintln!("error: with --strict, nothing would be loaded until the failed file(s) are fixed");
    }
    print_summary(&summary, options);
    Ok(summary)
}

/// Store phase: every file in turn through one [`Loader`]. A file that fails is reported and
/// leaves nothing behind; with `--strict` it ends the run and nothing is written (returns false).
/// What was stored is reported as it goes, except with `--strict`, where it is reported once
/// everything is committed.
fn store_files(store: &mut Store, files: &[PathBuf], options: &LoadOptions, summary: &mut Summary) -> Result<bool> {
    let stop_at_failure = options.strict && !options.dry_run;
    let mode = LoadMode { dry_run: options.dry_run, group_commit: !options.strict };
    let mut loader = store.loader(mode)?;
    let bar = progress(files.len());
    let mut seen_slugs: HashMap<String, usize> = HashMap::new();
    let mut held: Vec<(usize, Vec<Outcome>)> = Vec::new();
    for (index, path) in files.iter().enumerate() {
        bar.set_message(path.display().to_string());
        summary.files += 1;
        let outcome = store_one(&mut loader, path, options, &bar, &mut summary.warnings);
        bar.inc(1);
        match outcome {
            Ok(reports) if stop_at_failure => held.push((index, reports)),
            Ok(reports) => bar.suspend(|| report(files, index, &reports, summary, &mut seen_slugs))?,
            Err(e) => {
                summary.failed += 1;
                bar.suspend(|| eprintln!("error: {e:#}"));
                if stop_at_failure {
                    bar.finish_and_clear();
                    return Ok(false);
                }
            }
        }
    }
    bar.finish_and_clear();
    loader.finish()?;
    for (index, reports) in held {
        report(files, index, &reports, summary, &mut seen_slugs)?;
    }
    Ok(true)
}

/// Parse phase and store phase of one file: its interviews are read as the loader asks for them.
fn store_one(
    loader: &mut Loader,
    path: &Path,
    options: &LoadOptions,
    bar: &ProgressBar,
    warned: &mut Vec<(PathBuf, usize)>,
) -> Result<Vec<Outcome>> {
    let origin = origin_of(path);
    let (warnings, interviews) = parse(path, options)?;
    // Local problems are warnings (the rest of the file loads); `--strict` makes them errors.
    let level = if options.strict { "error" } else { "warning" };
    for w in &warnings {
        bar.suspend(|| eprintln!("{level}: {}:{}: {}", path.display(), w.line, w.message));
    }
    if !warnings.is_empty() {
        warned.push((path.to_path_buf(), warnings.len()));
        if options.strict {
            anyhow::bail!("{}: not loaded: --strict counts its warnings as errors", path.display());
        }
    }
    let claimed = if loader.stored_from(&origin)? { claimed_identities(path, &origin, options) } else { None };
    let mut outcomes = Vec::new();
    let result = loader.file_each(&origin, interviews, claimed, &mut |r| outcomes.push(Outcome::of(path, r, options)));
    // Parse errors already name the file; errors of storing are about the file as a whole.
    result.map_err(|e| if e.is::<FileError>() { e } else { e.context(path.display().to_string()) })?;
    Ok(outcomes)
}

/// What storing one interview did, rendered as the loader reports it: a file of tens of
/// thousands of interviews holds these lines until it is known to have gone in, not a full
/// [`LoadReport`] each (a 1M-pair file's reports alone were about 30 MB).
struct Outcome {
    action: LoadAction,
    pairs: usize,
    new_speakers: usize,
    slug: Box<str>,
    /// Its line of standard output and the indented lines under it.
    lines: Box<str>,
    /// Warnings about it, for standard error (usually none).
    warnings: Box<str>,
}

impl Outcome {
    fn of(path: &Path, r: LoadReport, options: &LoadOptions) -> Outcome {
        let verb =
            if options.dry_run { format!("would be {}", r.action.as_str()) } else { r.action.as_str().to_owned() };
        let mut lines = format!("{verb:<10} {}  \u{300C}{}\u{300D}  {} pairs\n", path.display(), r.title, r.pairs);
        details(&mut lines, path, &r).expect("writing to a String does not fail");
        let mut warnings = String::new();
        warn_about(&mut warnings, path, &r).expect("writing to a String does not fail");
        Outcome {
            action: r.action,
            pairs: r.pairs,
            new_speakers: r.new_speakers.len(),
            slug: r.slug.into(),
            lines: lines.into(),
            warnings: warnings.into(),
        }
    }
}

/// The interviews of a file, read lazily (a JSONL file streams), and the warnings about it.
type Interviews = Box<dyn Iterator<Item = Result<Interview, FileError>>>;

/// Parse phase: open a file and read what is needed to start storing it.
fn parse(path: &Path, options: &LoadOptions) -> Result<(Vec<Warning>, Interviews), FileError> {
    if Format::of(path) == Some(Format::JsonLines) {
        // A JSONL file streams, so its size is not limited, only each line's; it must still be a
        // regular file (a named pipe would block, a link to /dev/zero never end).
        transcript::file::check_regular(path)
            .map_err(|e| FileError { path: path.to_path_buf(), error: transcript::ParseError::whole(e.0) })?;
        let lines = JsonLines::open(path)?;
        return Ok((Vec::new(), Box::new(lines.map(|item| item.map(|(_, iv)| iv)))));
    }
    let limit = options.max_file_size.unwrap_or(transcript::file::DEFAULT_MAX_FILE_SIZE);
    let parsed = transcript::read_file_with(path, &options.parse, limit)?;
    Ok((parsed.warnings, Box::new(parsed.interviews.into_iter().map(|(_, iv)| Ok(iv)))))
}

/// The identities of every interview in a file read ahead of storing it, for a file that was
/// loaded before (only then can an interview whose identity changed be confused with another of
/// the same file). A file that cannot be read yields none: storing it reports the problem.
fn claimed_identities(path: &Path, origin: &Origin, options: &LoadOptions) -> Option<HashSet<String>> {
    let (_, interviews) = parse(path, options).ok()?;
    let interviews: Vec<Interview> = interviews
        .map(|iv| iv.map(|iv| Interview { pairs: Vec::new(), notes: Vec::new(), speakers: Vec::new(), ..iv }))
        .collect::<Result<_, _>>()
        .ok()?;
    let several = interviews.len() > 1;
    Some(interviews.iter().map(|iv| slug_of(iv, origin, several)).collect())
}

fn describe(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Files to read: given files as they are, folders recursed for known extensions (sorted;
/// hidden entries skipped). Missing paths count as failures.
fn collect(paths: &[PathBuf], summary: &mut Summary) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files, &mut summary.failed);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            summary.failed += 1;
            eprintln!("error: {}: no such file or folder", path.display());
        }
    }
    // The same file named twice (`a.txt ./a.txt`, or a file inside a folder also given) is
    // read once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    files
}

/// Add the interview files under `dir` to `files`. A folder that cannot be listed counts as a
/// failure: files the curator asked for would silently be missing.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, failed: &mut usize) {
    let listed = std::fs::read_dir(dir).and_then(|entries| entries.map(|e| e.map(|e| e.path())).collect());
    let mut entries: Vec<PathBuf> = match listed {
        Ok(entries) => entries,
        Err(e) => {
            *failed += 1;
            eprintln!("error: {}: cannot list folder: {e}", dir.display());
            return;
        }
    };
    entries.sort();
    for path in entries {
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        // Symbolic links to folders are not followed (as with ripgrep and find): they can lead
        // out of the folder the curator named, or round in a loop. Name the folder itself to
        // load it. Links to files are read; a broken link is skipped with a warning.
        let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if link && path.is_dir() {
            eprintln!("warning: {}: symbolic link to a folder, not followed", path.display());
        } else if path.is_dir() {
            walk(&path, files, failed);
        } else if Format::of(&path).is_some() {
            if link && !path.exists() {
                eprintln!("warning: {}: broken symbolic link, skipped", path.display());
            } else {
                files.push(path);
            }
        }
    }
}

fn origin_of(path: &Path) -> Origin {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // `interview.zh.txt` → `interview.zh`: only the format extension is dropped.
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or(name);
    // The absolute path, so `a.txt` and `./a.txt` are recognised as the same file later.
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Origin { path: absolute.display().to_string(), stem }
}

fn progress(files: usize) -> ProgressBar {
    if files <= 3 || !super::interactive_stderr() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} files {elapsed_precise} {wide_msg}")
            .expect("valid template"),
    );
    bar
}

/// Print what storing the `index`th file did, and count it.
fn report(
    files: &[PathBuf],
    index: usize,
    outcomes: &[Outcome],
    summary: &mut Summary,
    seen: &mut HashMap<String, usize>,
) -> std::io::Result<()> {
    let path = &files[index];
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in outcomes {
        count(summary, r);
        if let Some(previous) = seen.insert(r.slug.to_string(), index).map(|i| &files[i]) {
            let what = if r.action == LoadAction::Unchanged { "and the same content" } else { "and replaced it" };
            eprintln!(
                "warning: {} has the same identity `{}` as {}, {what}; give one a `slug:` to keep both",
                path.display(),
                r.slug,
                previous.display()
            );
        }
        eprint!("{}", r.warnings);
        out.write_all(r.lines.as_bytes())?;
    }
    Ok(())
}

/// Add one interview's outcome to the totals.
fn count(summary: &mut Summary, r: &Outcome) {
    match r.action {
        LoadAction::Loaded => summary.loaded += 1,
        LoadAction::Replaced => summary.replaced += 1,
        LoadAction::Unchanged => summary.unchanged += 1,
    }
    if r.action != LoadAction::Unchanged {
        summary.pairs += r.pairs;
    }
    summary.speakers += r.new_speakers;
}

/// Warnings about one interview: a replacement by identity alone, alternates lost.
fn warn_about(out: &mut impl std::fmt::Write, path: &Path, r: &LoadReport) -> std::fmt::Result {
    if let Some((old_slug, old_title)) = r.replaced.as_ref().filter(|(old, _)| old == &r.slug) {
        writeln!(
            out,
            "warning: {}: \u{300C}{}\u{300D} replaces \u{300C}{old_title}\u{300D} because both have the identity \
             `{old_slug}`; if they are different interviews, give each its own `slug:` and load both again",
            path.display(),
            r.title,
        )?;
    }
    if !r.alternates_dropped.is_empty() {
        writeln!(
            out,
            "warning: {}: dropped {} alternate(s) added with SQL whose question is no longer in the interview: {}",
            path.display(),
            r.alternates_dropped.len(),
            r.alternates_dropped.join(" | ")
        )?;
    }
    Ok(())
}

/// The indented lines under an interview's row: replacements, duplicates, aliases, speakers.
fn details(out: &mut impl std::fmt::Write, path: &Path, r: &LoadReport) -> std::fmt::Result {
    if let Some((old_slug, _)) = r.replaced.as_ref().filter(|(old, _)| old != &r.slug) {
        writeln!(out, "           replaces `{old_slug}` from the same file (its identity is now `{}`)", r.slug)?;
    }
    if let Some(other) = &r.duplicate_of {
        writeln!(out, "           same content as the stored interview `{other}`: not loaded twice")?;
    }
    for (alias, name) in &r.new_aliases {
        writeln!(out, "           new alias: {alias} for {name}")?;
    }
    if r.alternates_kept > 0 {
        writeln!(out, "           kept {} alternate(s) added with SQL", r.alternates_kept)?;
    }
    if !r.new_speakers.is_empty() {
        writeln!(out, "           new speakers: {}", r.new_speakers.join(", "))?;
    }
    for like in &r.resembling {
        writeln!(
            out,
            "           new speaker {} (labelled `{}`) is kept apart from {}, who is also called `{}`; \
             if they are the same person, add `speakers: {} ({})` to the front matter of {} and load it again",
            like.new,
            like.label,
            like.existing,
            like.label,
            like.existing,
            like.label,
            path.display()
        )?;
    }
    let kept_apart = |label: &String| r.resembling.iter().any(|like| &like.label == label);
    for (label, canonical) in r.attributed.iter().filter(|(label, _)| !kept_apart(label)) {
        writeln!(out, "           `{label}` is {canonical} (known alias)")?;
    }
    Ok(())
}

/// Summary rows with their numbers ending in one column (`loaded` and `speakers added` alike):
/// at least three columns after the longest label, one space before the widest number, and never
/// fewer than 17 columns in all.
fn aligned(rows: &[(&str, usize)]) -> Vec<String> {
    let label = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let digits = rows.iter().map(|(_, n)| n.to_string().len()).max().unwrap_or(0);
    let width = (label + 3.max(digits + 1)).max(17);
    rows.iter().map(|(label, n)| format!("  {label}{n:>w$}", w = width - label.len())).collect()
}

fn print_summary(s: &Summary, options: &LoadOptions) {
    let title = match (options.dry_run, options.strict && s.failed > 0) {
        // The rows count what the files that did not fail would do, which --strict forbids.
        (true, true) => {
            "Dry run: nothing was written. With --strict nothing would be loaded; the other files would give:"
        }
        (true, false) => "Dry run: nothing was written. Loading would give:",
        (false, _) => "Summary",
    };
    println!("\n{title}");
    let total: usize = s.warnings.iter().map(|(_, n)| n).sum();
    let warnings = if options.strict { "errors (warnings, --strict)" } else { "warnings" };
    let rows = [
        ("files", s.files),
        ("loaded", s.loaded),
        ("replaced", s.replaced),
        ("unchanged", s.unchanged),
        ("failed", s.failed),
        ("pairs added", s.pairs),
        ("speakers added", s.speakers),
    ];
    let rows: Vec<(&str, usize)> = rows.into_iter().chain((total > 0).then_some((warnings, total))).collect();
    for line in aligned(&rows) {
        println!("{line}");
    }
    for (path, n) in &s.warnings {
        println!("    {n:>4}  {}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_that_cannot_be_listed_is_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let (mut files, mut failed) = (Vec::new(), 0);
        // Any listing error takes this path (permission denied, or gone since it was named).
        walk(&dir.path().join("gone"), &mut files, &mut failed);
        assert_eq!(failed, 1);
        assert!(files.is_empty());
    }

    #[test]
    fn summary_numbers_end_in_one_column_however_wide() {
        let small = aligned(&[("files", 1), ("loaded", 12), ("speakers added", 3)]);
        assert_eq!(small, ["  files           1", "  loaded         12", "  speakers added  3"]);
        // A million pairs once ran into its label: `pairs added1000000`.
        let large = aligned(&[("files", 1), ("pairs added", 1_000_000), ("speakers added", 400)]);
        assert_eq!(large[1], "  pairs added    1000000");
        assert!(large.iter().all(|l| l.len() == large[0].len()), "{large:?}");
    }
}
