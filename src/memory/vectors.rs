//! Compact vectors and the in-memory index they are searched in.
//!
//! A vector is stored as int8 with one scale per vector: it is first made unit length, then
//! each value is `round(x / scale)` with `scale = max |x| / 127`. 256 dimensions take 256
//! bytes plus 4 for the scale, an eighth of the f32s the model sent. Cosine similarity of two
//! stored vectors is their int8 dot product (exact, in i32) times both scales.
//!
//! The index holds every current vector in one contiguous `Vec<i8>` and answers top-k by a
//! brute-force scan: at household sizes (100k items) one scan is a few milliseconds, with no
//! build step, no recall loss and nothing to keep balanced. The scan streams the whole matrix
//! from memory (25.6 MB for 100k × 256), so it is bound by memory bandwidth, not arithmetic:
//! a large index is split across the cores (up to [`MAX_SCAN_THREADS`]), each part keeping
//! its own top-k, merged at the end.

use std::collections::HashMap;

use super::recall::Kind;

/// A vector as stored: int8 values and the scale that turns them back into floats.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    /// `values[i] as f32 * scale` is the unit-length vector's `i`-th value.
    pub scale: f32,
    /// The values.
    pub values: Vec<i8>,
}

/// Makes `v` unit length and quantizes it; `None` for an empty, all-zero or non-finite vector.
pub fn quantize(v: &[f32]) -> Option<Quantized> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if v.is_empty() || !norm.is_finite() || norm == 0.0 {
        return None;
    }
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs())) / norm;
    let scale = max / 127.0;
    let values = v
        .iter()
        .map(|x| (x / norm / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    Some(Quantized { scale, values })
}

impl Quantized {
    /// The floats back, unit length up to the rounding.
    pub fn to_f32(&self) -> Vec<f32> {
        self.values
            .iter()
            .map(|&x| f32::from(x) * self.scale)
            .collect()
    }

    /// The values as the bytes of the `embeddings.vector` column.
    pub(crate) fn blob(&self) -> Vec<u8> {
        self.values.iter().map(|&x| x as u8).collect()
    }

    /// A vector read back from its column.
    pub(crate) fn from_blob(scale: f32, blob: &[u8]) -> Quantized {
        Quantized {
            scale,
            values: blob.iter().map(|&x| x as i8).collect(),
        }
    }
}

/// An index of at least this many rows is scanned by several threads; below it one scan takes
/// well under a millisecond and starting threads would cost more than it saves.
pub const PARALLEL_SCAN_ROWS: usize = 16_384;
/// At most this many threads scan one index (a Pi has four cores; memory bandwidth, not core
/// count, is what a scan runs out of).
pub const MAX_SCAN_THREADS: usize = 4;

/// The exact int8 dot product, written so the compiler turns it into SIMD multiply-adds.
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    const LANES: usize = 32;
    let mut acc = [0i32; LANES];
    let (a_body, a_tail) = a.split_at(a.len() - a.len() % LANES);
    let (b_body, b_tail) = b.split_at(a_body.len().min(b.len()));
    for (x, y) in a_body.chunks_exact(LANES).zip(b_body.chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    let tail: i32 = a_tail
        .iter()
        .zip(b_tail)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    acc.iter().sum::<i32>() + tail
}

/// Which stored item a row of the index is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// What sort of item.
    pub kind: Kind,
    /// Its row id in its own table.
    pub item: i64,
}

/// Every vector of the current embed model, in one int8 matrix, searched by a full scan.
pub struct VectorIndex {
    dims: usize,
    data: Vec<i8>,
    scales: Vec<f32>,
    keys: Vec<Key>,
    /// Per row: 0 for an item of the whole house, else 1 + the user's number in `users`.
    owners: Vec<u32>,
    slots: HashMap<Key, usize>,
    users: HashMap<String, u32>,
    /// The highest `embeddings.id` loaded; newer rows are read on the next refresh.
    pub(crate) loaded_through: i64,
    /// Threads a large scan is split across: the cores this process may use, at most
    /// [`MAX_SCAN_THREADS`] (read once: the count comes from cgroup files).
    scan_threads: usize,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dims", &self.dims)
            .field("len", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl VectorIndex {
    /// An empty index of `dims`-long vectors.
    pub fn new(dims: usize) -> VectorIndex {
        VectorIndex {
            dims,
            data: Vec::new(),
            scales: Vec::new(),
            keys: Vec::new(),
            owners: Vec::new(),
            slots: HashMap::new(),
            users: HashMap::new(),
            loaded_through: 0,
            scan_threads: std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(MAX_SCAN_THREADS),
        }
    }

    /// How many vectors it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The length of its vectors.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Bytes held by the matrix, scales, keys and lookup table (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(Key, usize)>() + 8;
        self.data.capacity()
            + self.scales.capacity() * 4
            + self.keys.capacity() * std::mem::size_of::<Key>()
            + self.owners.capacity() * 4
            + self.slots.capacity() * slot
    }

    /// Adds or replaces the vector of `key`; a vector of the wrong length is ignored (false).
    pub fn upsert(&mut self, key: Key, user: Option<&str>, v: &Quantized) -> bool {
        if v.values.len() != self.dims {
            return false;
        }
        let owner = self.owner(user);
        match self.slots.get(&key) {
            Some(&slot) => {
                self.data[slot * self.dims..(slot + 1) * self.dims].copy_from_slice(&v.values);
                self.scales[slot] = v.scale;
                self.owners[slot] = owner;
            }
            None => {
                self.slots.insert(key, self.keys.len());
                self.data.extend_from_slice(&v.values);
                self.scales.push(v.scale);
                self.keys.push(key);
                self.owners.push(owner);
            }
        }
        true
    }

    /// Drops the vector of `key`, if held (the last row moves into its place).
    pub fn remove(&mut self, key: Key) {
        let Some(slot) = self.slots.remove(&key) else {
            return;
        };
        let last = self.keys.len() - 1;
        if slot != last {
            let (head, tail) = self.data.split_at_mut(last * self.dims);
            head[slot * self.dims..(slot + 1) * self.dims].copy_from_slice(&tail[..self.dims]);
            self.keys[slot] = self.keys[last];
            self.scales[slot] = self.scales[last];
            self.owners[slot] = self.owners[last];
            self.slots.insert(self.keys[slot], slot);
        }
        self.data.truncate(last * self.dims);
        self.keys.pop();
        self.scales.pop();
        self.owners.pop();
    }

    /// The `k` most similar items (cosine, best first) among those of `kinds` (all when
    /// empty) that belong to `user` or to the whole house (every item when `user` is `None`).
    pub fn search(
        &self,
        query: &Quantized,
        user: Option<&str>,
        kinds: &[Kind],
        k: usize,
    ) -> Vec<(Key, f32)> {
        if query.values.len() != self.dims || k == 0 {
            return Vec::new();
        }
        // An unknown user owns nothing here, but still sees the house's items.
        let owner = user.map(|u| self.users.get(u).copied().unwrap_or(u32::MAX));
        let rows = self.keys.len();
        let parts = if rows >= PARALLEL_SCAN_ROWS {
            self.scan_threads
        } else {
            1
        };
        let top = if parts <= 1 {
            self.scan(0..rows, query, owner, kinds, k)
        } else {
            let per_part = rows.div_ceil(parts);
            let mut all: Vec<(f32, usize)> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..parts)
                    .map(|p| {
                        let range = p * per_part..((p + 1) * per_part).min(rows);
                        scope.spawn(move || self.scan(range, query, owner, kinds, k))
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            });
            // Ties keep the lower row first, as one scan over all rows would.
            all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            all.truncate(k);
            all
        };
        top.into_iter()
            .map(|(score, row)| (self.keys[row], score * query.scale))
            .collect()
    }

    /// The `k` best rows of `range` (score without the query's scale, row), best first.
    fn scan(
        &self,
        range: std::ops::Range<usize>,
        query: &Quantized,
        owner: Option<u32>,
        kinds: &[Kind],
        k: usize,
    ) -> Vec<(f32, usize)> {
        let mut top: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
        let mut floor = f32::MIN;
        let start = range.start;
        let data = &self.data[range.start * self.dims..range.end * self.dims];
        for (i, values) in data.chunks_exact(self.dims).enumerate() {
            let row = start + i;
            if owner.is_some_and(|o| self.owners[row] != 0 && self.owners[row] != o)
                || (!kinds.is_empty() && !kinds.contains(&self.keys[row].kind))
            {
                continue;
            }
            // The query's scale is the same for every row: it is left out of the ranking.
            let score = dot_i8(values, &query.values) as f32 * self.scales[row];
            if top.len() == k && score <= floor {
                continue;
            }
            let at = top.partition_point(|&(s, _)| s >= score);
            top.insert(at, (score, row));
            top.truncate(k);
            if top.len() == k {
                floor = top[k - 1].0;
            }
        }
        top
    }

    fn owner(&mut self, user: Option<&str>) -> u32 {
        let Some(user) = user else { return 0 };
        if let Some(&n) = self.users.get(user) {
            return n;
        }
        let n = self.users.len() as u32 + 1;
        self.users.insert(user.to_owned(), n);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(item: i64) -> Key {
        Key {
            kind: Kind::Fact,
            item,
        }
    }

    #[test]
    fn quantized_vectors_keep_their_direction() {
        let v = [0.3f32, -1.2, 0.05, 2.0];
        let q = quantize(&v).unwrap();
        assert_eq!(q.values.iter().map(|x| x.unsigned_abs()).max(), Some(127));
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        for (back, orig) in q.to_f32().iter().zip(v) {
            assert!((back - orig / norm).abs() < 0.005, "{back} vs {orig}");
        }
        assert_eq!(Quantized::from_blob(q.scale, &q.blob()), q);
        assert!(quantize(&[]).is_none());
        assert!(quantize(&[0.0, 0.0]).is_none());
        assert!(quantize(&[f32::NAN, 1.0]).is_none());
    }

    #[test]
    fn dot_product_is_exact_at_every_length() {
        for len in [0, 1, 31, 32, 33, 256, 300] {
            let a: Vec<i8> = (0..len).map(|i| ((i * 37) % 255) as i8).collect();
            let b: Vec<i8> = (0..len).map(|i| ((i * 11 + 5) % 255) as i8).collect();
            let naive: i32 = a.iter().zip(&b).map(|(x, y)| *x as i32 * *y as i32).sum();
            assert_eq!(dot_i8(&a, &b), naive, "len {len}");
        }
    }

    #[test]
    fn a_split_scan_finds_what_one_scan_finds() {
        let dims = 16;
        let mut index = VectorIndex::new(dims);
        let mut rng = fastrand::Rng::with_seed(3);
        let rows = PARALLEL_SCAN_ROWS + 1_001;
        for i in 0..rows {
            // Few distinct values: many equal scores, so the order of ties is tested too.
            let v: Vec<f32> = (0..dims).map(|_| rng.i8(-2..=2) as f32 + 0.5).collect();
            let user = ["ana", "bob"][i % 2];
            index.upsert(
                key(i as i64),
                (i % 3 != 0).then_some(user),
                &quantize(&v).unwrap(),
            );
        }
        index.scan_threads = 3;
        for round in 0..20 {
            let v: Vec<f32> = (0..dims).map(|_| rng.f32() - 0.5).collect();
            let query = quantize(&v).unwrap();
            let user = (round % 2 == 0).then_some("ana");
            let owner = user.map(|u| index.users[u]);
            let one: Vec<(Key, f32)> = index
                .scan(0..rows, &query, owner, &[], 10)
                .into_iter()
                .map(|(s, row)| (index.keys[row], s * query.scale))
                .collect();
            assert_eq!(index.search(&query, user, &[], 10), one, "round {round}");
        }
    }

    #[test]
    fn search_ranks_by_cosine_and_filters_by_user_and_kind() {
        let mut index = VectorIndex::new(3);
        let q = |v: &[f32]| quantize(v).unwrap();
        index.upsert(key(1), Some("ana"), &q(&[1.0, 0.0, 0.0]));
        index.upsert(key(2), Some("bob"), &q(&[0.9, 0.1, 0.0]));
        index.upsert(key(3), None, &q(&[0.7, 0.7, 0.0]));
        let task = Key {
            kind: Kind::Task,
            item: 4,
        };
        index.upsert(task, Some("ana"), &q(&[0.95, 0.0, 0.05]));
        let query = q(&[1.0, 0.0, 0.0]);
        let items = |hits: Vec<(Key, f32)>| hits.iter().map(|h| h.0.item).collect::<Vec<_>>();
        assert_eq!(items(index.search(&query, None, &[], 10)), [1, 4, 2, 3]);
        assert_eq!(items(index.search(&query, Some("ana"), &[], 10)), [1, 4, 3]);
        assert_eq!(
            items(index.search(&query, Some("ana"), &[Kind::Fact], 10)),
            [1, 3]
        );
        assert_eq!(items(index.search(&query, Some("eve"), &[], 10)), [3]);
        assert_eq!(items(index.search(&query, None, &[], 2)), [1, 4]);
        let best = index.search(&query, None, &[], 1)[0].1;
        assert!((best - 1.0).abs() < 0.01, "{best}");
        // Replacing and removing keep the rows and their keys together.
        index.upsert(key(1), Some("ana"), &q(&[0.0, 0.0, 1.0]));
        assert_eq!(items(index.search(&query, None, &[], 1)), [4]);
        index.remove(task);
        index.remove(key(99));
        assert_eq!(index.len(), 3);
        assert_eq!(items(index.search(&query, None, &[], 10)), [2, 3, 1]);
        assert!(!index.upsert(key(5), None, &q(&[1.0, 0.0])), "wrong length");
    }
}
