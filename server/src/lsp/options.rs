//! How a server instance runs: what the embedding code (the binary, the
//! tests, the fuzz harness) may choose, with the defaults `ssot-lsp serve`
//! uses.
//!
//! Besides two limits, this holds `TestHooks`: gates that the protocol tests
//! close to hold an analysis job or a disk check at a known point, so that a
//! race (a request while the analysis runs, a close and reopen while the old
//! text is checked) happens every time instead of once in a while. The
//! binary never closes a gate; an open gate costs one uncontended lock.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// How many message handlers tower-lsp-server polls at once. Every handler of
/// this server returns quickly (long work runs in spawned tasks or on the
/// blocking pool), so the bound is never what a client waits for; it is high
/// so that a `$/cancelRequest` behind slow requests is read and applied at
/// once instead of after them (tower-lsp's default is 4).
pub const MAX_CONCURRENT_HANDLERS: usize = 256;

/// How long a request waits for the analysis of the document version it
/// names before it fails with `ContentModified`.
pub const DEFAULT_ANALYSIS_PATIENCE: Duration = Duration::from_secs(10);

/// How long a pull client that cannot be asked to pull again (see
/// `Session::holds_pull_answers`) waits for a document's answer while the
/// workspace scan still runs: then the request ends `ServerCancelled` with
/// `retriggerRequest`, and the client asks again (Neovim does at once),
/// so a long scan never holds one request for its whole length.
pub const DEFAULT_PULL_HOLD: Duration = Duration::from_secs(3);

/// How the analysis of a document follows a stream of changes (keystrokes):
/// a change after a quiet spell is analysed at once; a change that follows
/// another within `debounce` waits until the document has been quiet for
/// `debounce`, but never longer than the wait limit after the first change
/// the analysis has not started for. The limit follows what the document's
/// last analysis cost ([`Self::wait_limit`]): `COST_SHARE` times it, between
/// `min_wait` and `max_wait`, so that a cheap analysis keeps diagnostics
/// close behind the keystrokes and a costly one (a huge file) is not run
/// per keystroke. Only the analysis waits: every change is applied to the
/// text as it arrives, and requests wait for the analysis of the version
/// they name as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisPacing {
    pub debounce: Duration,
    pub min_wait: Duration,
    pub max_wait: Duration,
}

impl AnalysisPacing {
    /// Every change analysed at once (what the server did before pacing).
    pub const IMMEDIATE: AnalysisPacing =
        AnalysisPacing { debounce: Duration::ZERO, min_wait: Duration::ZERO, max_wait: Duration::ZERO };

    /// While changes keep coming, an analysis starts at most every
    /// `COST_SHARE` times its own cost: the server spends at most about a
    /// tenth of the typing time analysing.
    pub const COST_SHARE: u32 = 10;

    /// How long the first change not yet analysed may wait while others
    /// follow it, after an analysis of the document that took `last_cost`
    /// (`None`: none finished yet, the longest wait).
    pub fn wait_limit(&self, last_cost: Option<Duration>) -> Duration {
        match last_cost {
            Some(cost) => cost.saturating_mul(Self::COST_SHARE).clamp(self.min_wait, self.max_wait.max(self.min_wait)),
            None => self.max_wait,
        }
    }
}

/// What `ssot-lsp serve` uses: at typing speed (a keystroke every 30 ms or
/// so) a keystroke waits at most 50 ms for its analysis to start when an
/// analysis takes 5 ms or less (a 4,000-line file takes about 3), 80 ms when
/// it takes 8, and 350 ms when it takes 35 ms or more; the keystrokes that
/// waited are analysed together (see docs/performance.md, "Typing cost").
pub const DEFAULT_ANALYSIS_PACING: AnalysisPacing = AnalysisPacing {
    debounce: Duration::from_millis(50),
    min_wait: Duration::from_millis(50),
    max_wait: Duration::from_millis(350),
};

/// How the workspace index takes in changed files and re-checks what
/// depends on them (`dependents`): a round starts once no change came for
/// `debounce`, or `max_wait` after the round began waiting. Slower than a
/// document's own analysis: while a function the workspace's fixes are
/// checked against is edited in the editor, each round checks every open
/// document and every closed file with findings again (581 files of the
/// realistic workspace; about 170 ms of CPU), so other files' diagnostics
/// follow such an edit within about a second instead of every keystroke.
pub const DEFAULT_DEPENDENTS_PACING: AnalysisPacing = AnalysisPacing {
    debounce: Duration::from_millis(250),
    min_wait: Duration::from_millis(250),
    max_wait: Duration::from_millis(1000),
};

/// The server's run-time options.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// See `DEFAULT_ANALYSIS_PATIENCE`.
    pub analysis_patience: Duration,
    /// See `DEFAULT_PULL_HOLD`.
    pub pull_hold: Duration,
    /// See `AnalysisPacing`.
    pub analysis_pacing: AnalysisPacing,
    /// See `DEFAULT_DEPENDENTS_PACING`.
    pub dependents_pacing: AnalysisPacing,
    /// How long the server waits for a burst of configuration changes to end
    /// before it reloads the rules and rescans once.
    pub reload_debounce: Duration,
    #[doc(hidden)]
    pub hooks: TestHooks,
    /// The document versions the transport has read (shared with it).
    #[doc(hidden)]
    pub seen_versions: Arc<SeenVersions>,
}

/// The newest version of each open document that the client has sent, as the
/// transport reads it: ahead of the handlers, and in the order the client
/// wrote, so it tells whether a change came before an answer.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct SeenVersions(dashmap::DashMap<String, i32>);

impl SeenVersions {
    pub fn record(&self, uri: &str, version: Option<i32>) {
        match version {
            Some(version) => {
                self.0.insert(uri.to_string(), version);
            }
            None => {
                self.0.remove(uri);
            }
        }
    }

    pub fn version(&self, uri: &tower_lsp_server::ls_types::Uri) -> Option<i32> {
        self.0.get(uri.as_str()).map(|version| *version)
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            analysis_patience: DEFAULT_ANALYSIS_PATIENCE,
            pull_hold: DEFAULT_PULL_HOLD,
            analysis_pacing: DEFAULT_ANALYSIS_PACING,
            dependents_pacing: DEFAULT_DEPENDENTS_PACING,
            reload_debounce: Duration::from_millis(100),
            hooks: TestHooks::default(),
            seen_versions: Arc::default(),
        }
    }
}

/// Gates for tests (see the module docs). All open by default.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct TestHooks {
    /// Passed by every analysis job of an open document after it computed
    /// its result and before the result is stored.
    pub analysis: Gate,
    /// Passed by every re-check of closed files from disk (watched files,
    /// closed documents) and every chunk of `ssot.fixWorkspace`'s closed
    /// files before it reads them.
    pub disk_checks: Gate,
    /// Passed by every push of diagnostics after it read what it sends and
    /// before it sends it (holding the publish turn).
    pub publish: Gate,
    /// Passed by every chunk of the workspace scan before it is checked.
    pub scan: Gate,
}

/// A gate that blocking work passes: at once while it is open, else it waits
/// until it opens, or until `release_one` lets it through (in the order of
/// arrival). Clones share one gate.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Gate {
    state: Arc<(Mutex<GateState>, Condvar)>,
}

#[derive(Debug, Default)]
struct GateState {
    closed: bool,
    /// Tickets handed to arrivals while closed, and how many were let through.
    arrived: usize,
    released: usize,
}

impl Gate {
    pub fn close(&self) {
        self.lock().closed = true;
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub fn open(&self) {
        self.lock().closed = false;
        self.state.1.notify_all();
    }

    /// Lets the earliest waiting arrival through; the gate stays closed.
    pub fn release_one(&self) {
        self.lock().released += 1;
        self.state.1.notify_all();
    }

    /// How many are waiting at the gate.
    pub fn waiting(&self) -> usize {
        let state = self.lock();
        state.arrived.saturating_sub(state.released)
    }

    /// Waits while the gate is closed (blocking: call it off the executor).
    pub fn pass(&self) {
        let mut state = self.lock();
        if !state.closed {
            return;
        }
        let ticket = state.arrived;
        state.arrived += 1;
        while state.closed && ticket >= state.released {
            state = self.state.1.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        if !state.closed || ticket >= state.released {
            // Let through by `open`: count it as released.
            state.released = state.released.max(ticket + 1);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
