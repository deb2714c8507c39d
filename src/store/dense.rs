//! What matching by meaning reads from the database: a cheap token that changes whenever the
//! vectors of a model may have changed, so a held copy of them ([`super::VectorSet`]) is reloaded
//! only then.

use anyhow::Result;

use super::Store;

impl Store {
    /// Changes whenever `model`'s stored vectors may have: another connection committed
    /// (`PRAGMA data_version`), or the number of this model's vectors changed (a commit on this
    /// connection, which `data_version` does not count).
    pub fn vectors_version(&self, model: &str) -> Result<(i64, i64)> {
        let version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let count: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM pair_vectors WHERE model = ?1")?
            .query_row([model], |r| r.get(0))?;
        Ok((version, count))
    }
}
