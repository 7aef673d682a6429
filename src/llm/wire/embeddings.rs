//! Embeddings: the request body and the vectors that come back.

use serde::Deserialize;
use serde_json::{Value, json};

use super::response::{Usage, excerpt};
use super::{WireError, decode};

/// The vectors of one embeddings request, one per input, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embeddings {
    /// One vector per input, ordered by the `index` the API gave it.
    pub vectors: Vec<Vec<f32>>,
    /// Token counts (`completion_tokens` is zero).
    pub usage: Usage,
    /// The model that answered.
    pub model: String,
}

/// The exact JSON body of `POST /embeddings`.
///
/// `encoding_format` is spelled out because some clients default to base64 and some
/// compatible servers follow them; MIRAI parses floats.
pub fn embeddings_body(model: &str, inputs: &[String], dimensions: Option<u32>) -> Value {
    let mut body = json!({"model": model, "input": inputs, "encoding_format": "float"});
    if let Some(dimensions) = dimensions {
        body["dimensions"] = dimensions.into();
    }
    body
}

#[derive(Deserialize)]
struct RawEmbeddings {
    data: Vec<RawEmbedding>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct RawEmbedding {
    embedding: Vec<f32>,
    index: usize,
}

/// Parses the body of `POST /embeddings`; the indices must be `0..n`, each once.
pub fn parse_embeddings(body: &[u8]) -> Result<Embeddings, WireError> {
    let raw: RawEmbeddings = decode("embeddings", body)?;
    let n = raw.data.len();
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; n];
    for item in raw.data {
        match slots.get_mut(item.index) {
            Some(slot @ None) => *slot = Some(item.embedding),
            _ => {
                return Err(WireError::BadResponse(format!(
                    "embeddings: index {} is repeated or outside 0..{n}; body: {}",
                    item.index,
                    excerpt(body)
                )));
            }
        }
    }
    Ok(Embeddings {
        vectors: slots.into_iter().flatten().collect(),
        usage: raw.usage.unwrap_or_default(),
        model: raw.model.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_the_model_inputs_and_dimensions() {
        let inputs = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            embeddings_body("text-embedding-3-small", &inputs, Some(512)),
            json!({"model": "text-embedding-3-small", "input": ["a", "b"],
                   "encoding_format": "float", "dimensions": 512})
        );
        assert!(
            embeddings_body("m", &inputs, None)
                .get("dimensions")
                .is_none()
        );
    }

    /// Shaped like <https://platform.openai.com/docs/api-reference/embeddings/create>,
    /// with the items out of order as a server may send them.
    #[test]
    fn vectors_come_back_in_index_order() {
        let body = br#"{"object":"list","data":[
            {"object":"embedding","embedding":[0.5,-1],"index":1},
            {"object":"embedding","embedding":[0.0023064255,-0.009327292],"index":0}],
            "model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
        let e = parse_embeddings(body).unwrap();
        assert_eq!(
            e.vectors,
            vec![vec![0.0023064255, -0.009327292], vec![0.5, -1.0]]
        );
        assert_eq!(e.usage.prompt_tokens, 8);
        assert_eq!(e.usage.completion_tokens, 0);
        assert_eq!(e.model, "text-embedding-3-small");
    }

    #[test]
    fn repeated_missing_or_bad_items_are_errors() {
        let repeated = br#"{"data":[{"embedding":[1],"index":0},{"embedding":[2],"index":0}]}"#;
        assert!(
            parse_embeddings(repeated)
                .unwrap_err()
                .to_string()
                .contains("repeated")
        );
        let gap = br#"{"data":[{"embedding":[1],"index":1}]}"#;
        assert!(parse_embeddings(gap).is_err());
        let base64 = br#"{"data":[{"embedding":"AAAA","index":0}]}"#;
        assert!(
            parse_embeddings(base64)
                .unwrap_err()
                .to_string()
                .contains("invalid type")
        );
        assert!(parse_embeddings(b"{\"data\":[").is_err());
    }
}
