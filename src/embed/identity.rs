//! Which model produced a vector: the folder's name, a hash of its content, and the recipe of
//! the text it was given.
//!
//! Vectors from two different models (or two versions of one) are not comparable, so the database
//! records the identity of the model that wrote its vectors and refuses to mix them.
//!
//! The hash covers `config.json` and `tokenizer.json` in full and the weights file by sampling:
//! its size plus 64 KiB at 17 evenly spaced offsets (start and end included). Reading 1 MiB
//! instead of hundreds takes milliseconds at every start-up, where a full SHA-256 of a 470 MB fp32
//! model takes seconds. Any re-quantisation, conversion (fp32 to fp16) or different checkpoint
//! changes the size or the sampled bytes; an edit confined to the unsampled bytes with the size
//! unchanged would go unnoticed, which no download or conversion produces.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// Bytes read at each sampled offset of the weights file.
const SAMPLE: u64 = 64 * 1024;
/// Sampled offsets in the weights file.
const SAMPLES: u64 = 17;

/// A model's name (its folder name), content hash, and the recipe of the text it is given
/// ([`super::recipe::RECIPE`]), shown as `name@hash+recipe`: vectors are comparable only when all
/// but the name are equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelIdentity {
    /// The model folder's name, e.g. `multilingual-e5-small`: for people, not for comparison.
    pub name: String,
    /// Hexadecimal hash of the model's content (16 digits); two models are the same when equal.
    pub hash: String,
    /// How the embedded text was built; empty for vectors stored before recipes were recorded.
    pub recipe: String,
}

impl ModelIdentity {
    /// The identity of the model whose files are given.
    pub fn of(dir: &Path, config: &Path, tokenizer: &Path, weights: &Path) -> Result<ModelIdentity> {
        let mut hasher = Sha256::new();
        for path in [config, tokenizer] {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
        sample_file(weights, &mut hasher).with_context(|| format!("cannot read {}", weights.display()))?;
        let digest = hasher.finalize();
        let hash = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "model".to_owned());
        Ok(ModelIdentity { name, hash, recipe: super::recipe::RECIPE.to_owned() })
    }

    /// Parse the `name@hash+recipe` form written by [`fmt::Display`] (or `name@hash`, as written
    /// before recipes were recorded: the recipe is then empty).
    pub fn parse(text: &str) -> Option<ModelIdentity> {
        let (name, tail) = text.rsplit_once('@')?;
        let (hash, recipe) = tail.split_once('+').unwrap_or((tail, ""));
        Some(ModelIdentity { name: name.to_owned(), hash: hash.to_owned(), recipe: recipe.to_owned() })
    }
}

impl fmt::Display for ModelIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.hash)?;
        if !self.recipe.is_empty() {
            write!(f, "+{}", self.recipe)?;
        }
        Ok(())
    }
}

/// Feed the file's size and evenly spaced samples of it to `hasher`.
fn sample_file(path: &Path, hasher: &mut Sha256) -> std::io::Result<()> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    hasher.update(size.to_le_bytes());
    let mut buf = vec![0u8; SAMPLE as usize];
    let last = size.saturating_sub(SAMPLE);
    for i in 0..SAMPLES {
        file.seek(SeekFrom::Start(last * i / (SAMPLES - 1)))?;
        let n = read_up_to(&mut file, &mut buf)?;
        hasher.update(&buf[..n]);
    }
    Ok(())
}

/// Read until `buf` is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}
