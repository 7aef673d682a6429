//! Reading a request body with a limit: refused from `Content-Length` before a byte is read,
//! and checked again while reading, for chunked bodies and for clients that lie.

use std::io::Read;

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// The body is over the limit.
    #[error("the body is over {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The client went away or sent a broken body.
    #[error("the body could not be read: {0}")]
    Io(#[from] std::io::Error),
}

/// The request's body within the server's limit, or the answer that refuses it: 413 over the
/// limit, 400 for a broken body.
pub(crate) fn read_body(
    context: &super::Context,
    request: &mut tiny_http::Request,
) -> Result<Vec<u8>, super::answer::Answer> {
    use super::answer::Answer;
    let declared = request.body_length();
    read_limited(request.as_reader(), declared, context.max_body).map_err(|err| match err {
        BodyError::TooLarge { .. } => Answer::error(413, &err.to_string()),
        BodyError::Io(_) => Answer::error(400, &err.to_string()),
    })
}

/// Reads the whole body of at most `limit` bytes; `declared` is its `Content-Length`.
pub(crate) fn read_limited(
    reader: &mut dyn Read,
    declared: Option<usize>,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if declared.is_some_and(|len| len > limit) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    // One byte past the limit tells "exactly the limit" from "more than the limit".
    reader.take(limit as u64 + 1).read_to_end(&mut body)?;
    if body.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn a_body_within_the_limit_is_read() {
        let body = read_limited(&mut Cursor::new(b"abcd".to_vec()), Some(4), 4).unwrap();
        assert_eq!(body, b"abcd");
        assert!(
            read_limited(&mut Cursor::new(Vec::new()), None, 4)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_unread() {
        let mut reader = Cursor::new(b"abcde".to_vec());
        let err = read_limited(&mut reader, Some(5), 4).unwrap_err();
        assert!(matches!(err, BodyError::TooLarge { limit: 4 }));
        assert_eq!(reader.position(), 0);
    }

    #[test]
    fn an_undeclared_body_over_the_limit_is_refused_while_reading() {
        let err = read_limited(&mut Cursor::new(vec![b'x'; 10]), None, 4).unwrap_err();
        assert!(matches!(err, BodyError::TooLarge { limit: 4 }));
    }
}
