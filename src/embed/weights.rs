//! Reading `model.safetensors` one tensor at a time, into f32 or, for fp16 tensors, kept in fp16.
//!
//! candle's memory-mapped loader keeps the whole file mapped (every page it touches counts as
//! resident) and copies each tensor in the file's dtype before converting it, so loading the
//! 120 MB fp16 model peaked at 470 MB. Here each tensor's bytes are read alone: fp16 tensors are
//! read straight into their values and kept so ([`load_arrays`]; the encoder converts them as it
//! computes, which is exact and halves their memory), others are converted to f32 and their bytes
//! dropped. The largest tensor is read first, so its bytes are held while little else is.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use serde::Deserialize;

/// A header longer than this is taken for corruption (real ones are tens of kilobytes).
const MAX_HEADER: u64 = 100 << 20;

/// The element types read; they convert to f32 exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileDType {
    F32,
    F16,
    BF16,
}

impl FileDType {
    fn parse(name: &str) -> Option<FileDType> {
        match name {
            "F32" => Some(FileDType::F32),
            "F16" => Some(FileDType::F16),
            "BF16" => Some(FileDType::BF16),
            _ => None,
        }
    }

    fn size(self) -> u64 {
        match self {
            FileDType::F32 => 4,
            FileDType::F16 | FileDType::BF16 => 2,
        }
    }
}

/// One tensor as the header describes it (offsets relative to the end of the header).
#[derive(Deserialize)]
struct RawEntry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [u64; 2],
}

/// One checked tensor entry.
struct Entry {
    name: String,
    dtype: FileDType,
    shape: Vec<usize>,
    start: u64,
    end: u64,
}

/// Every tensor of the safetensors file at `path`, converted to f32 on `device`. Errors as
/// [`load_f32_arrays`].
pub fn load_f32(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    let mut out = HashMap::new();
    for (name, array) in load_f32_arrays(path)? {
        let tensor = Tensor::from_vec(array.values.into_f32(), array.shape.as_slice(), device)
            .with_context(|| format!("{}: cannot read tensor `{name}`", path.display()))?;
        out.insert(name, tensor);
    }
    Ok(out)
}

/// One tensor's values, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The dimensions, outermost first.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Values,
}

/// A tensor's values: f32, or fp16 as the file holds them (every fp16 value is exactly an f32).
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Single precision (F32 and BF16 tensors).
    F32(Vec<f32>),
    /// Half precision, as stored (F16 tensors).
    F16(Vec<half::f16>),
}

impl Values {
    /// How many values.
    pub fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::F16(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values in f32 (exact).
    pub fn into_f32(self) -> Vec<f32> {
        match self {
            Values::F32(v) => v,
            Values::F16(v) => v.iter().map(|h| h.to_f32()).collect(),
        }
    }
}

/// Every tensor of the safetensors file at `path`, converted to f32. Errors as [`load_arrays`].
pub fn load_f32_arrays(path: &Path) -> Result<HashMap<String, Array>> {
    let mut arrays = load_arrays(path)?;
    for array in arrays.values_mut() {
        if let Values::F16(_) = array.values {
            let values = std::mem::replace(&mut array.values, Values::F32(Vec::new()));
            array.values = Values::F32(values.into_f32());
        }
    }
    Ok(arrays)
}

/// Every tensor of the safetensors file at `path`: F16 tensors as they are, F32 and BF16 ones in
/// f32. Errors name the file and, when it is one tensor's fault, the tensor: malformed header, an
/// element type other than F32, F16 or BF16, offsets that disagree with the shape, a truncated file.
pub fn load_arrays(path: &Path) -> Result<HashMap<String, Array>> {
    Ok(load_arrays_leaving(path, |_| false)?.0)
}

/// [`load_arrays`], except that the 2-D tensors named by `leave` stay in the file, to be read a
/// row at a time ([`Rows`]).
pub fn load_arrays_leaving(
    path: &Path,
    leave: impl Fn(&str) -> bool,
) -> Result<(HashMap<String, Array>, HashMap<String, Rows>)> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata().with_context(|| format!("cannot read {}", path.display()))?.len();
    let (data_start, mut entries) =
        read_header(&mut file, len).with_context(|| format!("{}: not a valid safetensors file", path.display()))?;
    entries.sort_by_key(|e| std::cmp::Reverse(e.end - e.start));
    let (mut out, mut left) = (HashMap::with_capacity(entries.len()), HashMap::new());
    for entry in entries {
        if let (true, &[rows, width]) = (leave(&entry.name), entry.shape.as_slice()) {
            let file = Mutex::new(file.try_clone().with_context(|| format!("cannot reopen {}", path.display()))?);
            let rows = Rows { file, start: data_start + entry.start, dtype: entry.dtype, rows, width };
            left.insert(entry.name, rows);
            continue;
        }
        let values = read_values(&mut file, data_start, &entry)
            .with_context(|| format!("{}: cannot read tensor `{}`", path.display(), entry.name))?;
        out.insert(entry.name, Array { shape: entry.shape, values });
    }
    Ok((out, left))
}

/// A 2-D tensor left in the model file and read a row at a time: the word embeddings (100k to
/// 250k rows, 77 to 384 MB) of which a question reads a few dozen rows, so the table need not be
/// in memory. Reading a row converts it exactly as loading would.
pub struct Rows {
    file: Mutex<File>,
    /// Where the tensor's data starts in the file.
    start: u64,
    dtype: FileDType,
    rows: usize,
    width: usize,
}

impl Rows {
    /// `[rows, width]`.
    pub fn shape(&self) -> [usize; 2] {
        [self.rows, self.width]
    }

    /// Append row `row` to `out`, in f32.
    pub fn read_into(&self, row: usize, out: &mut Vec<f32>) -> Result<()> {
        if row >= self.rows {
            bail!("row {row} of a tensor of {} rows", self.rows);
        }
        let size = self.dtype.size() as usize;
        let mut bytes = vec![0u8; self.width * size];
        {
            let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            file.seek(SeekFrom::Start(self.start + (row * self.width * size) as u64))?;
            file.read_exact(&mut bytes).context("cannot read the model file (changed since it was loaded?)")?;
        }
        let values = bytes.chunks_exact(size).map(|b| match self.dtype {
            FileDType::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            FileDType::F16 => half::f16::from_le_bytes([b[0], b[1]]).to_f32(),
            FileDType::BF16 => half::bf16::from_le_bytes([b[0], b[1]]).to_f32(),
        });
        out.extend(values);
        Ok(())
    }
}

/// Read and check the header of a file of `len` bytes: where the data starts, and the tensors.
fn read_header(file: &mut File, len: u64) -> Result<(u64, Vec<Entry>)> {
    if len < 8 {
        bail!("{len} bytes, shorter than the 8-byte header length");
    }
    let mut prefix = [0u8; 8];
    file.read_exact(&mut prefix)?;
    let header_len = u64::from_le_bytes(prefix);
    if header_len > MAX_HEADER || header_len > len - 8 {
        bail!("header length {header_len} does not fit in the file ({len} bytes)");
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header)?;
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).context("the header is not a JSON object")?;
    let data_start = 8 + header_len;
    let data_len = len - data_start;
    let mut entries = Vec::with_capacity(map.len());
    for (name, value) in map {
        if name != "__metadata__" {
            entries.push(check_entry(name, value, data_len)?);
        }
    }
    Ok((data_start, entries))
}

/// Check one header entry against its shape and the data section's length.
fn check_entry(name: String, value: serde_json::Value, data_len: u64) -> Result<Entry> {
    let raw: RawEntry = serde_json::from_value(value)
        .with_context(|| format!("tensor `{name}`: malformed header entry (needs dtype, shape, data_offsets)"))?;
    let Some(dtype) = FileDType::parse(&raw.dtype) else {
        bail!("tensor `{name}`: unsupported dtype {} (F32, F16 and BF16 are read)", raw.dtype);
    };
    let [start, end] = raw.data_offsets;
    let bytes = raw
        .shape
        .iter()
        .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d as u64))
        .with_context(|| format!("tensor `{name}`: shape {:?} is too large", raw.shape))?;
    if end < start || end - start != bytes {
        bail!("tensor `{name}`: data_offsets {start}..{end} do not hold shape {:?} of {}", raw.shape, raw.dtype);
    }
    if end > data_len {
        bail!(
            "tensor `{name}`: its data ends at byte {end} of the data section, which has {data_len} bytes \
             (the file is truncated)"
        );
    }
    Ok(Entry { name, dtype, shape: raw.shape, start, end })
}

/// Read one tensor's bytes (and only those): F16 straight into its values, others converted to
/// f32 (their bytes are dropped here).
fn read_values(file: &mut File, data_start: u64, entry: &Entry) -> Result<Values> {
    file.seek(SeekFrom::Start(data_start + entry.start))?;
    let len = (entry.end - entry.start) as usize;
    let convert: fn(&[u8]) -> f32 = match entry.dtype {
        FileDType::F16 => return Ok(Values::F16(read_f16(file, len / 2)?)),
        FileDType::F32 => |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        FileDType::BF16 => |b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32(),
    };
    let mut bytes = vec![0u8; len];
    file.read_exact(&mut bytes)?;
    // Little-endian, as the format says; every conversion here is exact.
    Ok(Values::F32(bytes.chunks_exact(entry.dtype.size() as usize).map(convert).collect()))
}

/// Read `count` little-endian fp16 values into their final vector (no second copy of the bytes:
/// the word embeddings alone are 77 MB in the shipped model).
fn read_f16(file: &mut File, count: usize) -> Result<Vec<half::f16>> {
    let mut values = vec![half::f16::ZERO; count];
    // SAFETY: `f16` is a plain 16-bit value (`repr(transparent)` over `u16`) for which every bit
    // pattern is valid; the byte view covers exactly the vector's initialised elements.
    let bytes = unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast::<u8>(), count * 2) };
    file.read_exact(bytes)?;
    if cfg!(target_endian = "big") {
        values.iter_mut().for_each(|v| *v = half::f16::from_bits(u16::from_le(v.to_bits())));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: serde_json::Value, data_len: u64) -> Result<Entry> {
        check_entry("w".to_owned(), value, data_len)
    }

    #[test]
    fn entries_are_checked_against_shape_and_data() {
        let ok = entry(json!({"dtype": "BF16", "shape": [2, 3], "data_offsets": [4, 16]}), 16).unwrap();
        assert_eq!((ok.dtype, ok.shape, ok.start, ok.end), (FileDType::BF16, vec![2, 3], 4, 16));
        let scalar = entry(json!({"dtype": "F32", "shape": [], "data_offsets": [0, 4]}), 4).unwrap();
        assert!(scalar.shape.is_empty());
        let backwards = entry(json!({"dtype": "F16", "shape": [0], "data_offsets": [8, 4]}), 16);
        assert!(format!("{:#}", backwards.err().unwrap()).contains("do not hold"));
        let huge = entry(json!({"dtype": "F32", "shape": [u64::MAX, 4], "data_offsets": [0, 4]}), 4);
        assert!(format!("{:#}", huge.err().unwrap()).contains("too large"));
        let past = entry(json!({"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}), 12);
        assert!(format!("{:#}", past.err().unwrap()).contains("truncated"));
    }
}
