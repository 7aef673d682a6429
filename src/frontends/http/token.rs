//! The bearer token's file: `<data_dir>/http_token`, made once with 32 random bytes and kept
//! readable by the hub's user only.

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// The token file's name in the data folder.
pub(crate) const TOKEN_FILE: &str = "http_token";
/// Random bytes in a new token (hex-encoded, so twice as many characters).
const TOKEN_BYTES: usize = 32;
/// Only the hub's user may read the token.
const TOKEN_MODE: u32 = 0o600;

/// Reads `<data_dir>/http_token`, or creates it with a new random token (mode 0600).
pub fn load_or_create_token(data_dir: &Path) -> io::Result<String> {
    let path = data_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is empty", path.display()),
            ));
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    let token = new_token();
    // `create_new`: if another process made the file meanwhile, its token wins (read below).
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(TOKEN_MODE)
        .open(&path);
    match created {
        Ok(mut file) => {
            file.write_all(format!("{token}\n").as_bytes())?;
            file.sync_all()?;
            Ok(token)
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_owned())
        }
        Err(err) => Err(err),
    }
}

/// `TOKEN_BYTES` random bytes as lowercase hex.
fn new_token() -> String {
    // fastrand seeds from the OS per thread; the token only has to be unguessable over the
    // network, and every attempt at it needs a request.
    let mut rng = fastrand::Rng::new();
    (0..TOKEN_BYTES)
        .map(|_| format!("{:02x}", rng.u8(..)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn a_new_token_is_64_hex_digits_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let token = load_or_create_token(dir.path()).unwrap();
        assert_eq!(token.len(), 2 * TOKEN_BYTES);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, TOKEN_MODE);
    }

    #[test]
    fn the_token_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_token(dir.path()).unwrap();
        assert_eq!(load_or_create_token(dir.path()).unwrap(), first);
    }

    #[test]
    fn an_empty_file_is_an_error_not_an_open_door() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(TOKEN_FILE), "\n").unwrap();
        assert!(load_or_create_token(dir.path()).is_err());
    }
}
