//! The client's byte stream, checked before tower-lsp-server reads it.
//!
//! tower-lsp-server decodes its input with a tokio-util `FramedRead`, which
//! ends the stream after the first decoding error (tokio-rs/tokio#3976): one
//! malformed message (a body that is not JSON, JSON that is not a JSON-RPC
//! message, a header without `Content-Length`) would answer one error and
//! then stop the whole server. So every message is read here first, and
//! tower-lsp only ever sees well-formed frames:
//!
//! - a message tower-lsp accepts is passed on, re-serialised from tower-lsp's
//!   own types and re-framed with a plain `Content-Length` header (header
//!   names are matched case-insensitively here, exactly there);
//! - anything else is replaced by a request to `$/ssot/invalidMessage`, whose
//!   handler answers the JSON-RPC error the client is owed: `-32700` (parse
//!   error) for a bad frame or body, `-32600` (invalid request) for JSON that
//!   is not a message, with the message's id when it has a usable one, else
//!   `null`; `-32601` (method not found) for a request to an unknown `$/`
//!   method, which LSP says must be answered and tower-lsp leaves unanswered.
//!   Before `initialize` tower-lsp answers that request with `-32002`
//!   and after `shutdown` with `-32600` instead, as for any request.
//!
//! After a header block it cannot read, the stream resynchronises at the
//! next `Content-Length`. This module never writes to the client: it is an
//! `AsyncRead` wrapped around the client's input.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::io::{AsyncRead, ReadBuf};

use tokio::sync::oneshot;
use tower_lsp_server::jsonrpc::{Request, Response};

use super::options::SeenVersions;
use tower_lsp_server::ls_types::FileEvent;

/// The method standing in for a message that could not be read.
pub const INVALID_MESSAGE_METHOD: &str = "$/ssot/invalidMessage";

/// JSON-RPC's "Parse error".
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC's "Invalid Request".
const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC's "Method not found".
const METHOD_NOT_FOUND: i64 = -32601;

/// A header block longer than this without its blank line is garbage.
const MAX_HEADER_BYTES: usize = 8 * 1024;

const HEADER_NAME: &[u8] = b"content-length";

/// Buffers grown past this by a large message shrink back once it is read.
const KEEP_BUFFER_BYTES: usize = 1 << 20;

/// The parameters of `$/ssot/invalidMessage`: the error to answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InvalidMessageParams {
    pub code: i64,
    pub message: String,
}

/// The client's input as tower-lsp reads it: whole, checked frames (see the
/// module docs). A partial frame at the end of the input is dropped.
#[derive(Debug)]
pub struct CheckedInput<I> {
    inner: I,
    /// Told once when the input ends.
    ended: Option<oneshot::Sender<()>>,
    /// Where the versions of opened and changed documents are recorded.
    seen_versions: Arc<SeenVersions>,
    /// Bytes read from the client and not framed yet.
    raw: Vec<u8>,
    /// The frame being handed out, and how much of it was.
    ready: Vec<u8>,
    ready_position: usize,
    end_of_input: bool,
}

impl<I> CheckedInput<I> {
    /// The checked input, and a receiver told when the client's input ends
    /// (or the reader is dropped).
    pub fn new(inner: I, seen_versions: Arc<SeenVersions>) -> (Self, oneshot::Receiver<()>) {
        let (sender, receiver) = oneshot::channel();
        let input = CheckedInput {
            inner,
            ended: Some(sender),
            seen_versions,
            raw: Vec::new(),
            ready: Vec::new(),
            ready_position: 0,
            end_of_input: false,
        };
        (input, receiver)
    }
}

impl<I> CheckedInput<I> {
    fn notify_end(&mut self) {
        if let Some(ended) = self.ended.take() {
            let _ = ended.send(());
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for CheckedInput<I> {
    fn poll_read(mut self: Pin<&mut Self>, context: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.ready_position < this.ready.len() {
                let available = &this.ready[this.ready_position..];
                let count = available.len().min(out.remaining());
                out.put_slice(&available[..count]);
                this.ready_position += count;
                return Poll::Ready(Ok(()));
            }
            if this.ready_position == this.ready.len() && this.ready.capacity() > KEEP_BUFFER_BYTES {
                // A large message was handed out: give its memory back.
                this.ready = Vec::new();
                this.ready_position = 0;
            }
            if let Some((consumed, frame, is_exit)) = next_frame(&this.raw, &this.seen_versions) {
                this.raw.drain(..consumed);
                if this.raw.capacity() > KEEP_BUFFER_BYTES && this.raw.len() < KEEP_BUFFER_BYTES {
                    this.raw.shrink_to(KEEP_BUFFER_BYTES);
                }
                this.ready = frame;
                this.ready_position = 0;
                if is_exit {
                    // tower-lsp stops reading after `exit`: this is the end.
                    this.notify_end();
                }
                continue;
            }
            if this.end_of_input {
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 64 * 1024];
            let mut chunk = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(context, &mut chunk) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) if chunk.filled().is_empty() => {
                    this.end_of_input = true;
                    this.notify_end();
                }
                Poll::Ready(Ok(())) => this.raw.extend_from_slice(chunk.filled()),
            }
        }
    }
}

/// The first frame of `buffer`: how many bytes it took, the frame to
/// forward, and whether it is the `exit` notification. `None` when more bytes
/// are needed.
fn next_frame(buffer: &[u8], seen: &SeenVersions) -> Option<(usize, Vec<u8>, bool)> {
    if buffer.is_empty() {
        return None;
    }
    let Some(body_start) = header_end(buffer) else {
        if buffer.len() <= MAX_HEADER_BYTES {
            return None;
        }
        let skipped = resynchronise(buffer, 1);
        return Some((skipped, invalid(PARSE_ERROR, Value::Null, "no end of headers in the first 8 KiB"), false));
    };
    let length = match content_length(&buffer[..body_start]) {
        Ok(length) => length,
        Err(reason) => {
            let skipped = resynchronise(buffer, body_start);
            return Some((skipped, invalid(PARSE_ERROR, Value::Null, &reason), false));
        }
    };
    let Some(end) = body_start.checked_add(length) else {
        let skipped = resynchronise(buffer, body_start);
        return Some((skipped, invalid(PARSE_ERROR, Value::Null, "a Content-Length past any memory"), false));
    };
    if buffer.len() < end {
        return None;
    }
    let (frame, is_exit) = checked_body(&buffer[body_start..end], seen);
    Some((end, frame, is_exit))
}

/// The offset just past the blank line ending the header block (looked for
/// in the first `MAX_HEADER_BYTES` only: a large body arriving in pieces must
/// not be scanned again for each piece).
fn header_end(buffer: &[u8]) -> Option<usize> {
    let buffer = &buffer[..buffer.len().min(MAX_HEADER_BYTES + 4)];
    let crlf = memchr::memmem::find(buffer, b"\r\n\r\n").map(|index| index + 4);
    let lf = memchr::memmem::find(buffer, b"\n\n").map(|index| index + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The `Content-Length` of a header block (other headers are ignored).
fn content_length(headers: &[u8]) -> Result<usize, String> {
    let headers = String::from_utf8_lossy(headers);
    let mut length = None;
    for line in headers.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("a header line without a colon: {line:?}"));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let parsed = value.trim().parse::<usize>().map_err(|_| format!("an invalid Content-Length: {value:?}"))?;
            length = Some(parsed);
        }
    }
    length.ok_or_else(|| "a message without a Content-Length header".to_string())
}

/// How many bytes to drop to reach the next `Content-Length` at or after
/// `from` (all of them when there is none).
fn resynchronise(buffer: &[u8], from: usize) -> usize {
    let from = from.min(buffer.len());
    buffer[from..]
        .windows(HEADER_NAME.len())
        .position(|window| window.eq_ignore_ascii_case(HEADER_NAME))
        .map_or(buffer.len(), |index| from + index)
}

/// The frame to forward for one body, and whether it is `exit`.
///
/// The body is parsed once; a request is forwarded as the client sent it
/// (no copy of a large `didOpen` or `didChange` text beyond the parse),
/// except a `workspace/didChangeWatchedFiles` whose events need filtering.
fn checked_body(body: &[u8], seen: &SeenVersions) -> (Vec<u8>, bool) {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => return (invalid(PARSE_ERROR, Value::Null, &format!("the body is not JSON: {error}")), false),
    };
    // tower-lsp reads a message as a response first, then as a request.
    if let Ok(response) = Response::deserialize(&value) {
        return (frame(&serde_json::to_vec(&response).unwrap_or_default()), false);
    }
    // tower-lsp's ids are 64-bit integers or strings: anything else is `null`.
    let id = match value.get("id") {
        Some(id @ Value::String(_)) => id.clone(),
        Some(Value::Number(number)) if number.is_i64() => Value::Number(number.clone()),
        _ => Value::Null,
    };
    record_version(&value, seen);
    let Ok(request) = serde_json::from_value::<Request>(value) else {
        return (invalid(INVALID_REQUEST, id, "not a JSON-RPC 2.0 request, notification or response"), false);
    };
    // LSP: a request whose method starts with `$/` and is not known must
    // be answered with MethodNotFound; tower-lsp drops it unanswered.
    let unknown_dollar = request.method().starts_with("$/") && request.method() != INVALID_MESSAGE_METHOD;
    if let (true, Some(id)) = (unknown_dollar, request.id()) {
        let id = serde_json::to_value(id).unwrap_or(Value::Null);
        return (invalid(METHOD_NOT_FOUND, id, &format!("method not found: {}", request.method())), false);
    }
    if request.method() == WATCHED_FILES_METHOD {
        return (frame(&serde_json::to_vec(&readable_file_events(request)).unwrap_or_default()), false);
    }
    let is_exit = request.method() == "exit";
    if serde_json::from_slice::<TopLevelFields>(body).is_err() {
        // A field given twice: `Value` kept the last one, tower-lsp's own
        // decoder would refuse the message and stop reading. Forward what
        // was read instead.
        return (frame(&serde_json::to_vec(&request).unwrap_or_default()), is_exit);
    }
    (frame(body), is_exit)
}

/// The top-level fields tower-lsp's decoder reads, skipped without being
/// copied: like that decoder (and unlike `serde_json::Value`, which keeps
/// the last), serde refuses a field that is given twice.
#[derive(Deserialize)]
#[allow(dead_code)] // Only whether the body deserializes matters.
struct TopLevelFields {
    jsonrpc: Option<IgnoredAny>,
    id: Option<IgnoredAny>,
    method: Option<IgnoredAny>,
    params: Option<IgnoredAny>,
    result: Option<IgnoredAny>,
    error: Option<IgnoredAny>,
}

/// Records the version a `didOpen` or `didChange` gives its document (a
/// `didClose` forgets it).
fn record_version(message: &Value, seen: &SeenVersions) {
    let method = message.get("method").and_then(Value::as_str);
    let document = &message["params"]["textDocument"];
    let Some(uri) = document["uri"].as_str() else { return };
    let version = document["version"].as_i64().and_then(|version| i32::try_from(version).ok());
    match method {
        Some("textDocument/didOpen" | "textDocument/didChange") if version.is_some() => seen.record(uri, version),
        Some("textDocument/didClose") => seen.record(uri, None),
        _ => {}
    }
}

const WATCHED_FILES_METHOD: &str = "workspace/didChangeWatchedFiles";

/// A `workspace/didChangeWatchedFiles` without the events tower-lsp could
/// not read (a URI with an unencoded `{`, a bad `type`): one bad event would
/// make it drop the whole notification. Each dropped event is logged.
fn readable_file_events(request: Request) -> Request {
    let (method, id, params) = request.into_parts();
    let mut params = params.unwrap_or(Value::Null);
    if let Some(changes) = params.get_mut("changes").and_then(Value::as_array_mut) {
        changes.retain(|change| {
            let readable = FileEvent::deserialize(change).is_ok();
            if !readable {
                tracing::warn!("skipped a watched-file event that cannot be read: {change}");
            }
            readable
        });
    }
    let builder = Request::build(method).params(params);
    match id {
        Some(id) => builder.id(id).finish(),
        None => builder.finish(),
    }
}

/// The stand-in request for a message that could not be read.
fn invalid(code: i64, id: Value, reason: &str) -> Vec<u8> {
    tracing::warn!("invalid message from the client: {reason}");
    let message = match code {
        PARSE_ERROR => format!("Parse error: {reason}"),
        METHOD_NOT_FOUND => format!("Method not found: {reason}"),
        _ => format!("Invalid request: {reason}"),
    };
    let request = json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": INVALID_MESSAGE_METHOD,
        "params": { "code": code, "message": message },
    });
    frame(&serde_json::to_vec(&request).unwrap_or_default())
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(frame: &[u8]) -> Value {
        let start = header_end(frame).unwrap();
        serde_json::from_slice(&frame[start..]).unwrap()
    }

    fn frames(mut input: &[u8]) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some((consumed, frame, _)) = next_frame(input, &SeenVersions::default()) {
            out.push(body_of(&frame));
            input = &input[consumed..];
        }
        out
    }

    #[test]
    fn passes_messages_on_reframed() {
        let message = br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let input = [b"content-length: 44\r\n\r\n".as_slice(), message].concat();
        assert_eq!(frames(&input), [json!({ "jsonrpc": "2.0", "id": 1, "method": "shutdown" })]);
        let response = br#"{"jsonrpc":"2.0","id":"a","result":[1]}"#;
        assert_eq!(frames(&frame(response)), [json!({ "jsonrpc": "2.0", "id": "a", "result": [1] })]);
    }

    #[test]
    fn waits_for_whole_frames() {
        let whole = frame(br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
        for cut in 0..whole.len() {
            assert_eq!(next_frame(&whole[..cut], &SeenVersions::default()), None, "cut at {cut}");
        }
        assert_eq!(next_frame(&whole, &SeenVersions::default()).unwrap().0, whole.len());
        let exit = frame(br#"{"jsonrpc":"2.0","method":"exit"}"#);
        assert!(next_frame(&exit, &SeenVersions::default()).unwrap().2, "exit is recognised");
        assert!(!next_frame(&whole, &SeenVersions::default()).unwrap().2);
    }

    #[test]
    fn replaces_bad_bodies_with_the_error_to_answer() {
        let bodies: [&[u8]; 5] = [b"{not json", b"\xff", b"[]", br#"{"id":7}"#, br#"{"id":1e30,"method":5}"#];
        let found = frames(&bodies.map(frame).concat());
        let codes: Vec<_> = found.iter().map(|request| request["params"]["code"].clone()).collect();
        assert_eq!(codes, [json!(-32700), json!(-32700), json!(-32600), json!(-32600), json!(-32600)]);
        let ids: Vec<_> = found.iter().map(|request| request["id"].clone()).collect();
        assert_eq!(ids, [Value::Null, Value::Null, Value::Null, json!(7), Value::Null]);
        for request in &found {
            assert!(serde_json::from_value::<Request>(request.clone()).is_ok(), "tower-lsp reads {request}");
        }
        assert!(found.iter().all(|request| request["method"] == INVALID_MESSAGE_METHOD));
    }

    #[test]
    fn a_field_given_twice_is_forwarded_as_tower_lsp_reads_it() {
        // Found by the jsonrpc fuzz target: tower-lsp's decoder refused the
        // raw body and its read loop ended, so the server stopped.
        let body = br#"{"jsonrpc":"2.0","id":5,"method":"ssot/migrationReport","params":{},"id":3,"method":"textDocument/diagnostic"}"#;
        let (_, forwarded, _) = next_frame(&frame(body), &SeenVersions::default()).unwrap();
        let start = header_end(&forwarded).unwrap();
        let request = serde_json::from_slice::<Request>(&forwarded[start..]);
        assert!(request.is_ok(), "tower-lsp reads {:?}", String::from_utf8_lossy(&forwarded[start..]));
        assert_eq!(request.unwrap().method(), "textDocument/diagnostic");
    }

    #[test]
    fn unknown_dollar_requests_get_method_not_found_and_notifications_pass() {
        let request = frames(&frame(br#"{"jsonrpc":"2.0","id":3,"method":"$/unknown"}"#));
        assert_eq!(request[0]["method"], INVALID_MESSAGE_METHOD);
        assert_eq!(request[0]["id"], 3);
        assert_eq!(request[0]["params"]["code"], -32601);
        let notification = frames(&frame(br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#));
        assert_eq!(notification[0]["method"], "$/cancelRequest");
    }

    #[test]
    fn unreadable_watched_file_events_are_dropped_one_by_one() {
        let body = br#"{"jsonrpc":"2.0","method":"workspace/didChangeWatchedFiles","params":{"changes":[{"uri":"file:///a/{b}.py","type":2},{"uri":"file:///a/c.py","type":2},{"uri":"file:///a/d.py","type":"x"}]}}"#;
        let found = frames(&frame(body));
        assert_eq!(found[0]["params"]["changes"], json!([{ "uri": "file:///a/c.py", "type": 2 }]));
        assert!(serde_json::from_value::<tower_lsp_server::ls_types::DidChangeWatchedFilesParams>(
            found[0]["params"].clone()
        )
        .is_ok());
    }

    #[test]
    fn resynchronises_after_a_bad_header() {
        let good = frame(br#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#);
        let input = [b"Garbage: 1\r\n\r\nnoise".as_slice(), &good, b"Content-Length: x\r\n\r\n", &good].concat();
        let found = frames(&input);
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(found[0]["params"]["code"], -32700);
        assert_eq!(found[1]["method"], "shutdown");
        assert_eq!(found[2]["params"]["code"], -32700);
        assert_eq!(found[3]["method"], "shutdown");
        let endless = vec![b'x'; MAX_HEADER_BYTES + 1];
        let (consumed, frame, _) = next_frame(&endless, &SeenVersions::default()).unwrap();
        assert_eq!(consumed, endless.len());
        assert_eq!(body_of(&frame)["params"]["code"], -32700);
    }
}
