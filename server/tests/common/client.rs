//! The one LSP test client, shared by the end-to-end tests (`lsp_e2e.rs`)
//! and the protocol tests (`reliability_protocol.rs`): it drives the server
//! in process (over in-memory duplexes) or the real binary (`ssot-lsp serve
//! --stdio`, over its stdin and stdout) with LSP's Content-Length framing.
//!
//! A reader task drains everything the server writes into a channel, so the
//! server never blocks on a full pipe however many notifications it sends
//! (unless a test pauses the reading on purpose). Messages the test has not
//! taken yet wait in `backlog`; requests of the server are recorded in
//! `server_requests` and answered as a client would (`workspace/applyEdit`
//! applied, `workspace/configuration` with `configuration`) unless the test
//! answers them itself. Every wait has the client's deadline; a failure
//! message carries what the binary wrote on stderr.
//!
//! Each test file adds its own conveniences in an `impl TestClient` block of
//! its own (the `diagnostics` each file asks for, its `start`); every test
//! file uses only part of this module.
#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use ssot_lsp::lsp::ServeOptions;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::read_message;

/// Where the client writes: the server's input.
pub type ClientWriter = Box<dyn AsyncWrite + Unpin + Send>;

/// The server under test: an in-process task or the real binary.
pub enum ServerUnderTest {
    Task(JoinHandle<()>),
    Process(tokio::process::Child),
}

/// What the binary writes on stderr, kept for failure messages until the
/// test closes the pipe.
struct StderrCapture {
    text: watch::Receiver<String>,
    close: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

pub struct TestClient {
    /// The server's input; `None` once the test closed it or lent it out.
    writer: Option<ClientWriter>,
    incoming: mpsc::UnboundedReceiver<Value>,
    /// Messages received and not yet taken by a test (responses and
    /// notifications; requests of the server go to `server_requests`).
    pub backlog: VecDeque<Value>,
    server: ServerUnderTest,
    /// The id of the last request the client sent.
    pub next_id: i64,
    /// Every request the server sent, in order (answered automatically
    /// unless `answer_server_requests` is off).
    pub server_requests: Vec<Value>,
    /// The indices in `server_requests` already handed to the test by
    /// `server_request`.
    taken_server_requests: HashSet<usize>,
    pub answer_server_requests: bool,
    /// What `workspace/configuration` answers for each item asked for.
    pub configuration: Value,
    /// The text of every `window/logMessage` received.
    pub logs: Vec<String>,
    /// Off: the client stops reading what the server writes.
    reading: watch::Sender<bool>,
    /// How long any one wait lasts before the test fails.
    timeout: Duration,
    stderr: Option<StderrCapture>,
}

impl TestClient {
    /// The server in process (`ssot_lsp::lsp::serve_with`), over in-memory
    /// duplexes.
    pub fn in_process(options: ServeOptions, timeout: Duration) -> Self {
        let (writer, server_input) = tokio::io::duplex(1 << 16);
        let (server_output, from_server) = tokio::io::duplex(1 << 16);
        let server = tokio::spawn(ssot_lsp::lsp::serve_with(server_input, server_output, options));
        Self::connect(from_server, Box::new(writer), ServerUnderTest::Task(server), None, timeout)
    }

    /// The real binary (`ssot-lsp serve --stdio`), over its stdin and
    /// stdout; its stderr is kept for failure messages.
    pub fn binary(timeout: Duration) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ssot-lsp"))
            .args(["serve", "--stdio"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        let stdin = child.stdin.take().expect("a piped stdin");
        let stderr = capture_stderr(child.stderr.take().expect("a piped stderr"));
        Self::connect(stdout, Box::new(stdin), ServerUnderTest::Process(child), Some(stderr), timeout)
    }

    /// Spawns a server in process with `options` and runs initialize (with
    /// these params) and initialized; also returns initialize's result.
    pub async fn start_in_process(options: ServeOptions, timeout: Duration, params: Value) -> (Self, Value) {
        let mut client = Self::in_process(options, timeout);
        let result = client.initialize(params).await;
        (client, result)
    }

    fn connect(
        from_server: impl AsyncRead + Unpin + Send + 'static,
        writer: ClientWriter,
        server: ServerUnderTest,
        stderr: Option<StderrCapture>,
        timeout: Duration,
    ) -> Self {
        let (sender, incoming) = mpsc::unbounded_channel();
        let (reading, mut reading_now) = watch::channel(true);
        tokio::spawn(async move {
            let mut reader = BufReader::new(from_server);
            loop {
                // While the test stops reading, the server's output backs up.
                if reading_now.wait_for(|reading| *reading).await.is_err() {
                    break;
                }
                let Some(message) = read_message(&mut reader).await else { break };
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        TestClient {
            writer: Some(writer),
            incoming,
            backlog: VecDeque::new(),
            server,
            next_id: 0,
            server_requests: Vec::new(),
            taken_server_requests: HashSet::new(),
            answer_server_requests: true,
            configuration: Value::Null,
            logs: Vec::new(),
            reading,
            timeout,
            stderr,
        }
    }

    /// Runs initialize (with these params) and initialized; returns
    /// initialize's result.
    pub async fn initialize(&mut self, params: Value) -> Value {
        let response = self.request("initialize", params).await;
        let result = response.get("result").cloned().unwrap_or_else(|| panic!("initialize failed: {response}"));
        self.notify("initialized", json!({})).await;
        result
    }

    // -----------------------------------------------------------------------
    // Sending
    // -----------------------------------------------------------------------

    /// Writes bytes as they are (a frame, or anything else).
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        let timeout = self.timeout;
        let writer = self.writer.as_mut().expect("the client's output is open");
        tokio::time::timeout(timeout, async {
            writer.write_all(bytes).await.expect("the server reads its input");
            writer.flush().await.expect("the server reads its input");
        })
        .await
        .expect("the server keeps reading its input");
    }

    /// Writes one framed message.
    pub async fn send(&mut self, message: &Value) {
        self.send_raw(&frame(message.to_string().as_bytes())).await;
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }

    /// Sends a request without waiting for its answer; returns its id.
    pub async fn send_request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        id
    }

    /// Sends a request and returns the whole response message.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params).await;
        self.response(id).await
    }

    /// Sends a request and returns its result; fails on an error answer.
    pub async fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params).await;
        response.get("result").cloned().unwrap_or_else(|| panic!("{method} failed: {response}"))
    }

    /// Answers a request of the server's.
    pub async fn answer(&mut self, request: &Value, result: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "id": request["id"], "result": result })).await;
    }

    pub async fn open(&mut self, uri: &str, version: i32, text: &str) {
        let document = json!({ "uri": uri, "languageId": "python", "version": version, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document })).await;
    }

    pub async fn change(&mut self, uri: &str, version: i32, changes: Value) {
        let params = json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes });
        self.notify("textDocument/didChange", params).await;
    }

    // -----------------------------------------------------------------------
    // Receiving
    // -----------------------------------------------------------------------

    /// The next message from the server (kept or new); requests of the
    /// server are recorded (and answered, unless the test answers them) on
    /// the way.
    pub async fn receive(&mut self) -> Value {
        match self.backlog.pop_front() {
            Some(message) => message,
            None => self.receive_new().await,
        }
    }

    /// The next message the server sends, past the backlog.
    async fn receive_new(&mut self) -> Value {
        loop {
            if let Some(message) = self.take_in_next().await {
                return message;
            }
        }
    }

    /// Takes in the next message the server sends: a request of the server's
    /// is recorded (and answered), anything else returned.
    async fn take_in_next(&mut self) -> Option<Value> {
        let message = self.next_incoming().await;
        if message["method"] == "window/logMessage" {
            self.logs.push(message["params"]["message"].as_str().unwrap_or_default().to_string());
        }
        if message.get("method").is_some() && message.get("id").is_some() {
            self.take_in_server_request(message).await;
            return None;
        }
        Some(message)
    }

    async fn next_incoming(&mut self) -> Value {
        match tokio::time::timeout(self.timeout, self.incoming.recv()).await {
            Ok(Some(message)) => message,
            Ok(None) => panic!("the server is still running{}", self.stderr_note()),
            Err(_) => panic!("the server answers in time{}", self.stderr_note()),
        }
    }

    async fn take_in_server_request(&mut self, request: Value) {
        self.server_requests.push(request.clone());
        if !self.answer_server_requests {
            return;
        }
        let result = match request["method"].as_str() {
            Some("workspace/applyEdit") => json!({ "applied": true }),
            Some("workspace/configuration") => {
                let items = request["params"]["items"].as_array().map_or(0, Vec::len);
                Value::Array(vec![self.configuration.clone(); items])
            }
            _ => Value::Null,
        };
        self.answer(&request, result).await;
    }

    /// The first message (kept or new) matching `filter`; others stay queued.
    pub async fn receive_matching(&mut self, filter: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.backlog.iter().position(&filter) {
            return self.backlog.remove(index).expect("a position in the backlog");
        }
        let mut skipped = Vec::new();
        let found = loop {
            let message = self.receive_new().await;
            if filter(&message) {
                break message;
            }
            skipped.push(message);
        };
        self.backlog.extend(skipped);
        found
    }

    /// The first notification (kept or new) matching `filter`.
    pub async fn notification(&mut self, filter: impl Fn(&Value) -> bool) -> Value {
        self.receive_matching(|message| is_notification(message) && filter(message)).await
    }

    /// The notifications received and not yet taken.
    pub fn notifications(&self) -> impl Iterator<Item = &Value> {
        self.backlog.iter().filter(|message| is_notification(message))
    }

    /// The response to the request with this id.
    pub async fn response(&mut self, id: Value) -> Value {
        self.receive_matching(|message| message.get("id") == Some(&id) && message.get("method").is_none()).await
    }

    /// The next request of the server's with this method that no earlier
    /// call returned (answered already unless `answer_server_requests` is
    /// off: then the test answers it).
    pub async fn server_request(&mut self, method: &str) -> Value {
        loop {
            let untaken = (0..self.server_requests.len()).find(|index| {
                !self.taken_server_requests.contains(index) && self.server_requests[*index]["method"] == method
            });
            if let Some(index) = untaken {
                self.taken_server_requests.insert(index);
                return self.server_requests[index].clone();
            }
            if let Some(message) = self.take_in_next().await {
                self.backlog.push_back(message);
            }
        }
    }

    /// The text of the next `window/logMessage` starting with `prefix`.
    pub async fn log_message(&mut self, prefix: &str) -> String {
        let message = self
            .notification(|message| {
                message["method"] == "window/logMessage"
                    && message["params"]["message"].as_str().is_some_and(|text| text.starts_with(prefix))
            })
            .await;
        message["params"]["message"].as_str().unwrap_or_default().to_string()
    }

    /// The params of the next `publishDiagnostics` for `uri` (with this
    /// version, when one is given).
    pub async fn published(&mut self, uri: &str, version: Option<i32>) -> Value {
        let message = self
            .notification(|message| {
                message["method"] == "textDocument/publishDiagnostics"
                    && message["params"]["uri"] == uri
                    && version.is_none_or(|version| message["params"]["version"] == version)
            })
            .await;
        message["params"].clone()
    }

    /// A request the server must answer (hover on an unknown document):
    /// proves it is alive and has handled everything sent before, so all it
    /// sent before is in the backlog now.
    pub async fn ping(&mut self) {
        let response = self
            .request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": "file:///ping.py" }, "position": { "line": 0, "character": 0 } }),
            )
            .await;
        assert_eq!(response["result"], Value::Null, "the server answers: {response}");
    }

    /// Drops every queued message (after a `ping`, nothing older is pending).
    pub fn forget_backlog(&mut self) {
        self.backlog.clear();
        while self.incoming.try_recv().is_ok() {}
    }

    /// Stops reading what the server writes (its output backs up), or reads
    /// again.
    pub fn set_reading(&mut self, reading: bool) {
        self.reading.send_replace(reading);
    }

    // -----------------------------------------------------------------------
    // Ending
    // -----------------------------------------------------------------------

    /// The server's input, lent to the test (`restore_writer` gives it back;
    /// dropped, it closes the server's input).
    pub fn take_writer(&mut self) -> ClientWriter {
        self.writer.take().expect("the client's output is open")
    }

    pub fn restore_writer(&mut self, writer: ClientWriter) {
        self.writer = Some(writer);
    }

    /// Ends the server's input: the server sees the end of its stream.
    pub fn close_input(&mut self) {
        drop(self.take_writer());
    }

    /// Closes the read end of the binary's stderr (a client may do that);
    /// returns once it is closed.
    pub async fn close_stderr(&mut self) {
        let capture = self.stderr.take().expect("a binary whose stderr is captured");
        let _ = capture.close.send(());
        capture.task.await.expect("the stderr reader ends");
    }

    /// shutdown, exit, and the server stops cleanly.
    pub async fn shutdown(mut self) {
        let response = self.request("shutdown", Value::Null).await;
        assert_eq!(response, json!({ "jsonrpc": "2.0", "id": self.next_id, "result": null }));
        self.notify("exit", Value::Null).await;
        self.exits().await;
    }

    /// The server stops within the client's deadline, cleanly (no panic in
    /// process, a success status for the binary).
    pub async fn exits(self) {
        let timeout = self.timeout;
        assert!(self.stops_within(timeout).await, "the server exits");
    }

    /// Whether the server stops within `within`; a server that stops must
    /// stop cleanly (no panic in process, a success status for the binary).
    pub async fn stops_within(self, within: Duration) -> bool {
        let note = self.stderr_note();
        match self.server {
            ServerUnderTest::Task(task) => match tokio::time::timeout(within, task).await {
                Ok(ended) => {
                    ended.unwrap_or_else(|error| panic!("the server task ends without a panic: {error}"));
                    true
                }
                Err(_) => false,
            },
            ServerUnderTest::Process(mut child) => match tokio::time::timeout(within, child.wait()).await {
                Ok(status) => {
                    let status = status.expect("the binary's status");
                    assert!(status.success(), "exit status {status}{note}");
                    true
                }
                Err(_) => false,
            },
        }
    }

    /// What the binary wrote on stderr so far, for a failure message.
    fn stderr_note(&self) -> String {
        let Some(capture) = &self.stderr else { return String::new() };
        format!("; the server's stderr:\n{}", *capture.text.borrow())
    }

    /// Waits until the binary has written a stderr line containing `needle`;
    /// returns that line.
    pub async fn stderr_line(&mut self, needle: &str) -> String {
        let timeout = self.timeout;
        let capture = self.stderr.as_mut().expect("a binary whose stderr is captured");
        let has_line = |text: &String| text.lines().any(|line| line.contains(needle));
        let found = tokio::time::timeout(timeout, capture.text.wait_for(has_line)).await.is_ok_and(|seen| seen.is_ok());
        let text = capture.text.borrow().clone();
        assert!(found, "no stderr line with {needle:?} in time; the server's stderr:\n{text}");
        text.lines().find(|line| line.contains(needle)).unwrap_or_default().to_string()
    }
}

/// Reads the binary's stderr into a buffer until the test closes it.
fn capture_stderr(stderr: tokio::process::ChildStderr) -> StderrCapture {
    let (kept, text) = watch::channel(String::new());
    let (close, mut closed) = oneshot::channel();
    let task = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        loop {
            tokio::select! {
                _ = &mut closed => return,
                line = lines.next_line() => match line {
                    Ok(Some(line)) => kept.send_modify(|text| {
                        text.push_str(&line);
                        text.push('\n');
                    }),
                    // At the end, wait for the close (or the client's end).
                    _ => {
                        let _ = closed.await;
                        return;
                    }
                },
            }
        }
    });
    StderrCapture { text, close, task }
}

/// A body framed with its Content-Length header.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

fn is_notification(message: &Value) -> bool {
    message.get("method").is_some() && message.get("id").is_none()
}

pub fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// initialize's params: capabilities, the workspace folder `root` (if any)
/// and the initialization options.
pub fn initialize_params(capabilities: Value, root: Option<&Path>, options: Value) -> Value {
    let folders = root.map(|root| json!([{ "uri": file_uri(root), "name": "root" }])).unwrap_or(Value::Null);
    json!({ "processId": null, "capabilities": capabilities, "workspaceFolders": folders, "initializationOptions": options })
}

/// A temporary workspace under the target folder holding `files`, and its
/// canonical path (the one the server's URIs name); the folder goes away
/// with the `TempDir`. Its name is not hidden, as a user's folder is not.
pub fn workspace_with(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix("ssot-lsp-test").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (dir, root)
}

/// A temporary workspace holding a copy of the fixture tree
/// `fixtures/workspaces/<name>` (see `workspace_with`), for tests that
/// change its files.
pub fn workspace_from_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = workspace_with(&[]);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces").join(name);
    super::tree::copy_tree(&fixture, &root);
    (dir, root)
}
