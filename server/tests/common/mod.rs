//! Helpers shared by the integration tests that speak LSP framing.

pub mod client;
pub mod positions;
pub mod tree;

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Reads one framed message: headers up to an empty line, then exactly
/// Content-Length bytes of JSON. `None` at the end of the stream.
pub async fn read_message<R: AsyncBufRead + Unpin>(reader: &mut R) -> Option<Value> {
    let mut content_length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header line has a colon");
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(value.trim().parse::<usize>().expect("a numeric Content-Length"));
        }
    }
    let mut body = vec![0; content_length.expect("every message has a Content-Length header")];
    reader.read_exact(&mut body).await.ok()?;
    Some(serde_json::from_slice(&body).expect("the server writes JSON"))
}
