//! Retrieval memory at household scale: 100,000 items with 256-dimensional vectors.
//! Side by side in one run, on the same vectors: MIRAI's int8 brute-force scan (the index
//! alone, and through `Memory::recall` on the real SQLite file), a brute-force KNN query of
//! the sqlite-vec extension over the same int8 vectors and over their f32 originals, and the
//! hybrid search (FTS5 BM25 + vectors, fused). Also the index's memory per 100k items.
//! `cargo bench --bench recall`; `MIRAI_BENCH_ITEMS=20000` scales it down.

#[path = "support/measure.rs"]
#[allow(dead_code)]
mod measure;

use std::time::Instant;

use measure::{row, time};
use mirai::memory::{
    EmbeddingModel, Key, Kind, Memory, Quantized, RecallQuery, Settings, VectorIndex, quantize,
};
use rusqlite::{Connection, params};

const DIMS: usize = 256;
const QUERIES: usize = 2_000;
/// sqlite-vec's KNN takes 100+ ms a query: fewer of them still give a fair p99.
const VEC_QUERIES: usize = 300;
const VOCABULARY: usize = 3_000;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("recall benchmark: run it with `cargo bench --bench recall`");
        return;
    }
    let items: usize = std::env::var("MIRAI_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut rng = fastrand::Rng::with_seed(7);
    let vectors: Vec<Vec<f32>> = (0..items).map(|_| random_vector(&mut rng)).collect();
    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| random_vector(&mut rng)).collect();
    let words: Vec<String> = (0..VOCABULARY).map(word).collect();

    let dir = tempfile::tempdir().unwrap();
    let model = EmbeddingModel {
        name: "text-embedding-3-small".into(),
        dims: DIMS as u32,
    };
    let settings = Settings {
        embedding: Some(model.clone()),
        ..Settings::default()
    };
    let mut memory = Memory::open(&dir.path().join("memory.db"), &settings).unwrap();
    let fill = Instant::now();
    fill_memory(&mut memory, &model, &vectors, &words, &mut rng);
    println!(
        "filled {items} knowledge items with vectors in {:.1} s",
        fill.elapsed().as_secs_f64()
    );

    // The index alone, as the memory holds it.
    let mut index = VectorIndex::new(DIMS);
    let quantized: Vec<Quantized> = vectors.iter().map(|v| quantize(v).unwrap()).collect();
    for (i, q) in quantized.iter().enumerate() {
        let key = Key {
            kind: Kind::Knowledge,
            item: i as i64 + 1,
        };
        index.upsert(key, None, q);
    }
    let qq: Vec<Quantized> = queries.iter().map(|v| quantize(v).unwrap()).collect();
    let (scan, scan_cpu) = time_both(50, QUERIES, |i| {
        std::hint::black_box(index.search(&qq[i], None, &[], 10));
    });
    let loaded = Instant::now();
    assert_eq!(memory.indexed_vectors().unwrap(), items);
    let load_s = loaded.elapsed().as_secs_f64();
    let through_memory = time(50, QUERIES, |i| {
        let query = RecallQuery {
            text: "",
            limit: 10,
            vector: Some(&queries[i]),
            ..RecallQuery::default()
        };
        std::hint::black_box(memory.recall(&query).unwrap());
    });
    let texts: Vec<String> = (0..QUERIES)
        .map(|_| {
            (0..3)
                .map(|_| words[rng.usize(..VOCABULARY)].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let fts_only = time(50, QUERIES, |i| {
        let query = RecallQuery {
            text: &texts[i],
            limit: 10,
            ..RecallQuery::default()
        };
        std::hint::black_box(memory.recall(&query).unwrap());
    });
    let (hybrid, hybrid_cpu) = time_both(50, QUERIES, |i| {
        let query = RecallQuery {
            text: &texts[i],
            limit: 10,
            vector: Some(&queries[i]),
            ..RecallQuery::default()
        };
        std::hint::black_box(memory.recall(&query).unwrap());
    });
    drop(memory);

    let (vec_int8, vec_f32) = sqlite_vec(
        &dir.path().join("vec.db"),
        &quantized,
        &vectors,
        &qq[..VEC_QUERIES],
        &queries[..VEC_QUERIES],
    );

    println!(
        "\n{items} items × {DIMS} dimensions, {QUERIES} queries ({VEC_QUERIES} for sqlite-vec); \
         load average at the end {}\n",
        load_average()
    );
    println!("| measure | p50 | p99 | target |\n|---|---|---|---|");
    row("vector top-10, MIRAI int8 index scan", &scan, "p99 ≤ 10 ms");
    row(
        "  the same, CPU time of the calling thread (a large index is scanned on worker threads)",
        &scan_cpu,
        "—",
    );
    row(
        "vector top-10 through `Memory::recall` (texts read from SQLite)",
        &through_memory,
        "—",
    );
    row(
        "vector top-10, sqlite-vec `vec0` int8[256] KNN (same vectors)",
        &vec_int8,
        "ours not slower",
    );
    row(
        "vector top-10, sqlite-vec `vec0` float[256] KNN (the f32 originals)",
        &vec_f32,
        "—",
    );
    row("words only (FTS5 BM25, 3-word query)", &fts_only, "—");
    row(
        "hybrid: FTS5 + vectors, fused (RRF)",
        &hybrid,
        "p99 ≤ 15 ms",
    );
    row(
        "  the same, CPU time of the calling thread (FTS5, fusing, texts; not the scan's workers)",
        &hybrid_cpu,
        "—",
    );
    let bytes = index.heap_bytes();
    println!(
        "\nindex memory: {:.1} MiB for {items} items ({:.0} bytes per item; the vectors alone {} bytes); \
         first load from the file {load_s:.2} s",
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / items as f64,
        DIMS + 4
    );
}

/// Like `time`, and also the CPU time the calling thread spent in each call: on a machine
/// busy with other work, wall time includes waiting for a core; CPU time is the search's cost.
fn time_both(
    warmup: usize,
    rounds: usize,
    mut f: impl FnMut(usize),
) -> (Vec<std::time::Duration>, Vec<std::time::Duration>) {
    for i in 0..warmup {
        f(i);
    }
    let mut wall = Vec::with_capacity(rounds);
    let mut cpu = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let (c, w) = (thread_cpu(), Instant::now());
        f(i);
        wall.push(w.elapsed());
        cpu.push(thread_cpu().saturating_sub(c));
    }
    wall.sort();
    cpu.sort();
    (wall, cpu)
}

fn thread_cpu() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// A vector of normally distributed values (sum of uniforms), as embeddings look.
fn random_vector(rng: &mut fastrand::Rng) -> Vec<f32> {
    (0..DIMS)
        .map(|_| (0..4).map(|_| rng.f32() - 0.5).sum::<f32>())
        .collect()
}

fn word(i: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "ri", "mo", "tsu", "ne", "la", "vo", "shi", "ga", "pe", "du", "ko", "mi", "ra", "ze",
        "no",
    ];
    format!(
        "{}{}{}",
        SYLLABLES[i % 16],
        SYLLABLES[(i / 16) % 16],
        SYLLABLES[(i / 256) % 16]
    )
}

/// Knowledge rows with 8 words each, then their vectors stored as the upkeep stores them.
fn fill_memory(
    memory: &mut Memory,
    model: &EmbeddingModel,
    vectors: &[Vec<f32>],
    words: &[String],
    rng: &mut fastrand::Rng,
) {
    for _ in 0..vectors.len() {
        let text: Vec<&str> = (0..8)
            .map(|_| words[rng.usize(..words.len())].as_str())
            .collect();
        memory
            .add_knowledge("", &text.join(" "), "bench", None)
            .unwrap();
    }
    loop {
        let batch = memory.unembedded(1_000).unwrap();
        if batch.is_empty() {
            break;
        }
        let vs: Vec<Vec<f32>> = batch
            .iter()
            .map(|u| vectors[u.item as usize - 1].clone())
            .collect();
        memory.store_embeddings(model, &batch, &vs).unwrap();
    }
}

/// The same vectors in sqlite-vec `vec0` tables; KNN queries timed on each.
fn sqlite_vec(
    path: &std::path::Path,
    quantized: &[Quantized],
    vectors: &[Vec<f32>],
    qq: &[Quantized],
    queries: &[Vec<f32>],
) -> (Vec<std::time::Duration>, Vec<std::time::Duration>) {
    // The extension's documented way in from Rust: register it for every new connection.
    unsafe {
        rusqlite::ffi::sqlite3_auto_extension(Some(std::mem::transmute::<
            *const (),
            unsafe extern "C" fn(
                *mut rusqlite::ffi::sqlite3,
                *mut *mut std::os::raw::c_char,
                *const rusqlite::ffi::sqlite3_api_routines,
            ) -> std::os::raw::c_int,
        >(
            sqlite_vec::sqlite3_vec_init as *const ()
        )));
    }
    let mut conn = Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE v8 USING vec0(embedding int8[{DIMS}]);
         CREATE VIRTUAL TABLE v32 USING vec0(embedding float[{DIMS}] distance_metric=cosine);"
    ))
    .unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut i8s = tx
            .prepare("INSERT INTO v8(rowid, embedding) VALUES (?1, vec_int8(?2))")
            .unwrap();
        let mut f32s = tx
            .prepare("INSERT INTO v32(rowid, embedding) VALUES (?1, ?2)")
            .unwrap();
        for (i, (q, v)) in quantized.iter().zip(vectors).enumerate() {
            i8s.execute(params![i as i64 + 1, blob_i8(q)]).unwrap();
            f32s.execute(params![i as i64 + 1, blob_f32(v)]).unwrap();
        }
    }
    tx.commit().unwrap();
    let mut knn8 = conn
        .prepare("SELECT rowid, distance FROM v8 WHERE embedding MATCH vec_int8(?1) AND k = 10")
        .unwrap();
    let int8 = time(50, qq.len(), |i| {
        let n = knn8
            .query_map([blob_i8(&qq[i])], |r| r.get::<_, i64>(0))
            .unwrap()
            .count();
        assert_eq!(n, 10);
    });
    let mut knn32 = conn
        .prepare("SELECT rowid, distance FROM v32 WHERE embedding MATCH ?1 AND k = 10")
        .unwrap();
    let f32s = time(50, queries.len(), |i| {
        let n = knn32
            .query_map([blob_f32(&queries[i])], |r| r.get::<_, i64>(0))
            .unwrap()
            .count();
        assert_eq!(n, 10);
    });
    (int8, f32s)
}

fn blob_i8(q: &Quantized) -> Vec<u8> {
    q.values.iter().map(|&x| x as u8).collect()
}

fn blob_f32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
