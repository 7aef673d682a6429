//! A deterministic stand-in for an embed model: a hashed bag of concepts. Words are folded
//! to a concept (synonyms and word forms share one), stop words dropped, and each concept
//! adds ±1 to one of `dims` buckets chosen by its FNV-1a hash. Texts that share concepts
//! are similar, texts that share none are orthogonal up to hash collisions: enough for
//! search by meaning to be testable without a real model.

/// Words that carry no meaning here.
const STOP: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "be", "to", "of", "in", "on", "at", "for", "and", "or",
    "my", "our", "we", "i", "you", "do", "does", "did", "what", "where", "which", "who", "how",
    "it", "its", "that", "this", "with", "me", "your", "s", "now", "there", "their", "has", "have",
    "named", "called", "name", "user", "likes", "like",
];

/// Word → concept; words not listed are their own concept. The list stands in for what a
/// real embed model knows of the world (a Honda is a car, judo is a sport).
const CONCEPTS: &[(&str, &str)] = &[
    ("drive", "car"),
    ("drives", "car"),
    ("honda", "car"),
    ("tesla", "car"),
    ("volvo", "car"),
    ("cat", "pet"),
    ("cats", "pet"),
    ("hamster", "pet"),
    ("goldfish", "pet"),
    ("fish", "pet"),
    ("band", "music"),
    ("jazz", "music"),
    ("radiohead", "music"),
    ("vegetarian", "eat"),
    ("meat", "eat"),
    ("pizza", "eat"),
    ("judo", "sport"),
    ("football", "sport"),
    ("swim", "sport"),
    ("swims", "sport"),
    ("run", "sport"),
    ("running", "sport"),
    ("bedtime", "bed"),
    ("piano", "lesson"),
    ("drawing", "lesson"),
    ("class", "lesson"),
    ("train", "commute"),
    ("bus", "commute"),
    ("water", "garden"),
    ("watering", "garden"),
    ("waters", "garden"),
    ("flower", "garden"),
    ("plant", "garden"),
    ("automobile", "car"),
    ("vehicle", "car"),
    ("parking", "park"),
    ("parked", "park"),
    ("spot", "place"),
    ("kept", "keep"),
    ("keeps", "keep"),
    ("child", "daughter"),
    ("kid", "daughter"),
    ("girl", "daughter"),
    ("temperature", "warm"),
    ("degrees", "warm"),
    ("heating", "warm"),
    ("cold", "warm"),
    ("hot", "warm"),
    ("kitty", "pet"),
    ("feline", "pet"),
    ("dog", "pet"),
    ("puppy", "pet"),
    ("job", "work"),
    ("works", "work"),
    ("office", "work"),
    ("sleeps", "sleep"),
    ("bed", "bedroom"),
    ("drinks", "drink"),
    ("beverage", "drink"),
    ("wakes", "wake"),
    ("alarm", "wake"),
    ("allergic", "allergy"),
    ("allergies", "allergy"),
    ("birthday", "born"),
    ("plays", "play"),
    ("playing", "play"),
    ("eats", "eat"),
    ("food", "eat"),
    ("meal", "eat"),
    ("lives", "live"),
    ("living", "live"),
];

/// The concepts of a text, in order.
pub fn concepts(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOP.contains(w))
        .map(|w| {
            CONCEPTS
                .iter()
                .find(|(word, _)| *word == w)
                .map_or(w.to_owned(), |(_, c)| (*c).to_owned())
        })
        .collect()
}

/// The text's vector: `dims` floats (not normalized: the memory normalizes).
pub fn embed(text: &str, dims: usize) -> Vec<f32> {
    let mut v = vec![0f32; dims];
    for concept in concepts(text) {
        let h = fnv1a(concept.as_bytes());
        let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
        v[(h % dims as u64) as usize] += sign;
    }
    if v.iter().all(|x| *x == 0.0) {
        // A text of stop words only still needs a valid vector.
        v[0] = 1.0;
    }
    v
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
