//! What the fuzz targets share: LSP framing, and a conversation with a fresh
//! in-process server (`ssot_lsp::lsp::serve` over in-memory pipes) that
//! answers the server's own requests, so no handler waits forever on the
//! client.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// How long a conversation may take before the server counts as hung.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The id of the request that ends every conversation.
pub const PING_ID: i64 = 424_242;

/// One message in LSP's Content-Length framing.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

pub fn frame_json(message: &Value) -> Vec<u8> {
    frame(message.to_string().as_bytes())
}

/// `initialize` (UTF-8 positions when `utf8`, else UTF-16) and `initialized`.
/// A client waits for the answer to `initialize` before it sends anything
/// else; `converse` does, these bytes sent at once test impatient clients.
pub fn handshake(utf8: bool) -> Vec<u8> {
    let mut bytes = initialize(utf8);
    bytes.extend(initialized());
    bytes
}

fn initialized() -> Vec<u8> {
    frame_json(&json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }))
}

fn initialize(utf8: bool) -> Vec<u8> {
    let encodings = if utf8 { json!(["utf-8", "utf-16"]) } else { json!(["utf-16"]) };
    let initialize = json!({
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "processId": null,
            "capabilities": { "general": { "positionEncodings": encodings }, "workspace": { "applyEdit": true } },
            "initializationOptions": { "workspaceScan": false },
        },
    });
    frame_json(&initialize)
}

/// A request every live server answers (a hover on an unknown document).
pub fn ping() -> Vec<u8> {
    frame_json(&json!({
        "jsonrpc": "2.0",
        "id": PING_ID,
        "method": "textDocument/hover",
        "params": { "textDocument": { "uri": "file:///fuzz/ping.py" }, "position": { "line": 0, "character": 0 } },
    }))
}

/// Whether `message` answers the ping.
pub fn is_ping_answer(message: &Value) -> bool {
    message.get("id") == Some(&json!(PING_ID)) && message.get("method").is_none()
}

/// What the server said in one conversation.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Every message from the server, requests included.
    pub messages: Vec<Value>,
    /// The server stopped (its output ended) before `done` was satisfied.
    pub ended_early: bool,
}

/// How a conversation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Wait until `done(messages)` holds (or the server stops), answering
    /// the server's requests; then shutdown, exit, and close the input.
    WhenDone,
    /// Close the input right after it and the ping (raw bytes may leave a
    /// frame open that swallows the ping), then read until the server stops.
    CloseAtOnce,
}

/// Runs a fresh server on a fresh runtime; with `Some(utf8)`, initializes it
/// first as a client would (waiting for the answer, then `initialized`);
/// sends `input`, then a ping; and collects what the server writes, ending
/// as `ending` says. Then waits for the server to stop. Panics when the
/// server hangs (`TIMEOUT`), writes something that is not a framed JSON
/// message, or its task panics.
pub fn converse(
    initialize_first: Option<bool>,
    input: Vec<u8>,
    ending: Ending,
    done: impl Fn(&[Value]) -> bool,
) -> Transcript {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let transcript = runtime.block_on(async move {
        let (mut to_server, server_input) = tokio::io::duplex(1 << 16);
        let (server_output, from_server) = tokio::io::duplex(1 << 16);
        let server = tokio::spawn(ssot_lsp::lsp::serve(server_input, server_output));
        let (sender, mut pending) = mpsc::unbounded_channel::<Vec<u8>>();
        let mut outgoing = Some(sender);
        let send = |outgoing: &Option<mpsc::UnboundedSender<Vec<u8>>>, bytes: Vec<u8>| {
            if let Some(outgoing) = outgoing {
                let _ = outgoing.send(bytes);
            }
        };
        let writer = tokio::spawn(async move {
            while let Some(bytes) = pending.recv().await {
                if to_server.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        });
        let mut reader = BufReader::new(from_server);
        let mut transcript = Transcript::default();
        let conversation = async {
            if let Some(utf8) = initialize_first {
                send(&outgoing, initialize(utf8));
                loop {
                    let Some(message) = read_message(&mut reader).await else {
                        transcript.ended_early = true;
                        return;
                    };
                    let answered = message.get("id") == Some(&json!(0)) && message.get("method").is_none();
                    transcript.messages.push(message);
                    if answered {
                        break;
                    }
                }
                send(&outgoing, initialized());
            }
            send(&outgoing, input);
            send(&outgoing, ping());
            if ending == Ending::CloseAtOnce {
                outgoing = None;
            }
            loop {
                let Some(message) = read_message(&mut reader).await else {
                    transcript.ended_early = true;
                    return;
                };
                if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
                    let answer = json!({ "jsonrpc": "2.0", "id": id, "result": null });
                    send(&outgoing, frame_json(&answer));
                }
                transcript.messages.push(message);
                if done(&transcript.messages) {
                    return;
                }
            }
        };
        tokio::time::timeout(TIMEOUT, conversation).await.expect("the server answers in time");
        // Leave as a client does: shutdown (answering the server's requests
        // meanwhile), exit, close.
        if !transcript.ended_early && outgoing.is_some() {
            let shutdown = json!({ "jsonrpc": "2.0", "id": PING_ID + 1, "method": "shutdown", "params": null });
            send(&outgoing, frame_json(&shutdown));
            let leave = async {
                while let Some(message) = read_message(&mut reader).await {
                    if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
                        let answer = json!({ "jsonrpc": "2.0", "id": id, "result": null });
                        send(&outgoing, frame_json(&answer));
                    }
                    if message.get("id") == Some(&json!(PING_ID + 1)) && message.get("method").is_none() {
                        return;
                    }
                }
            };
            tokio::time::timeout(TIMEOUT, leave).await.expect("the server answers shutdown in time");
            send(&outgoing, frame_json(&json!({ "jsonrpc": "2.0", "method": "exit" })));
        }
        drop(outgoing);
        tokio::time::timeout(TIMEOUT, server)
            .await
            .expect("the server stops when its input ends")
            .expect("the server task does not panic");
        writer.abort();
        transcript
    });
    runtime.shutdown_background();
    transcript
}

async fn read_message<R: AsyncBufRead + Unpin>(reader: &mut R) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("the server writes header lines with a colon");
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.trim().parse::<usize>().expect("the server writes a numeric Content-Length"));
        }
    }
    let mut body = vec![0; length.expect("the server writes a Content-Length")];
    reader.read_exact(&mut body).await.ok()?;
    Some(serde_json::from_slice(&body).expect("the server writes JSON"))
}

/// An error answer that is a caught panic (see `lsp::guard`).
pub fn is_internal_error(message: &Value) -> bool {
    message["error"]["message"].as_str().is_some_and(|text| text.contains("internal error"))
}
