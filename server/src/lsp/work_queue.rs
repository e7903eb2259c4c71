//! A coalescing work queue with at most one worker: the set of pending items
//! (an item pushed again before the worker takes it is done once), and one
//! spawned task that takes them in batches until none are left; the next
//! push after that starts a new worker. The closed files re-checked from
//! disk (`workspace_scan`) and the changed files the workspace index takes
//! in (`dependents`) go through one each, so a burst of events gives a few
//! batches instead of a task per event, and the handler that pushed returns
//! at once.
//!
//! The pending set and the "a worker runs" flag change together under one
//! lock, held only for the set operations (never across an `.await`): a
//! worker that finds the set empty stops in the same step, so an item pushed
//! meanwhile either joins its next batch or starts a new worker, and is
//! never left behind. It knows nothing of LSP or the session.

use std::collections::HashSet;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Pending items and whether a worker drains them.
#[derive(Debug)]
pub struct WorkQueue<T> {
    state: Mutex<QueueState<T>>,
}

#[derive(Debug)]
struct QueueState<T> {
    pending: HashSet<T>,
    worker_running: bool,
    /// How many pushes there were (see `settle`).
    pushes: u64,
}

impl<T> Default for WorkQueue<T> {
    fn default() -> Self {
        WorkQueue { state: Mutex::new(QueueState { pending: HashSet::new(), worker_running: false, pushes: 0 }) }
    }
}

impl<T: Eq + Hash + Clone> WorkQueue<T> {
    /// Adds `items`; when no worker runs, spawns `worker()` on the tokio
    /// runtime. The worker must take batches (`next_batch`) until it gets
    /// `None`, and then return.
    pub fn push<W, F>(&self, items: impl IntoIterator<Item = T>, worker: W)
    where
        W: FnOnce() -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let start_worker = {
            let mut state = self.lock();
            state.pending.extend(items);
            state.pushes += 1;
            !std::mem::replace(&mut state.worker_running, true)
        };
        if start_worker {
            tokio::spawn(worker());
        }
    }

    /// Takes up to `limit` pending items out (in no particular order);
    /// `None` when none are left, and then the worker counts as stopped.
    pub fn next_batch(&self, limit: usize) -> Option<Vec<T>> {
        let mut state = self.lock();
        if state.pending.is_empty() {
            state.worker_running = false;
            return None;
        }
        if state.pending.len() <= limit {
            return Some(state.pending.drain().collect());
        }
        let batch: Vec<T> = state.pending.iter().take(limit).cloned().collect();
        for item in &batch {
            state.pending.remove(item);
        }
        Some(batch)
    }

    /// Waits until nothing was pushed for `debounce`, or for `max_wait` in
    /// all (a worker that paces itself calls it before taking a batch).
    pub async fn settle(&self, debounce: Duration, max_wait: Duration) {
        let started = tokio::time::Instant::now();
        loop {
            let pause = debounce.min(max_wait.saturating_sub(started.elapsed()));
            if pause.is_zero() {
                return;
            }
            let pushes = self.lock().pushes;
            tokio::time::sleep(pause).await;
            if self.lock().pushes == pushes {
                return;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// A worker that does nothing: the test takes the batches itself.
    fn idle_worker(started: &AtomicUsize) -> impl Future<Output = ()> + Send + 'static {
        started.fetch_add(1, Ordering::SeqCst);
        async {}
    }

    #[tokio::test]
    async fn one_worker_until_the_queue_is_empty_and_duplicates_run_once() {
        let queue = WorkQueue::default();
        let started = AtomicUsize::new(0);
        queue.push([1, 2, 3], || idle_worker(&started));
        queue.push([3, 2, 4], || idle_worker(&started));
        assert_eq!(started.load(Ordering::SeqCst), 1, "a push while a worker runs starts none");
        let mut first = queue.next_batch(3).expect("pending items");
        assert_eq!(first.len(), 3, "at most the limit");
        let mut rest = queue.next_batch(3).expect("the item left");
        first.append(&mut rest);
        first.sort();
        assert_eq!(first, [1, 2, 3, 4], "each item once");
        assert_eq!(queue.next_batch(3), None);
        queue.push([5], || idle_worker(&started));
        assert_eq!(started.load(Ordering::SeqCst), 2, "the worker stopped when it found nothing: a new one starts");
        assert_eq!(queue.next_batch(usize::MAX), Some(vec![5]));
    }

    #[tokio::test(start_paused = true)]
    async fn settle_waits_for_a_quiet_spell_or_the_longest_wait() {
        let queue = Arc::new(WorkQueue::default());
        let started = AtomicUsize::new(0);
        let (debounce, max_wait) = (Duration::from_millis(50), Duration::from_millis(350));
        queue.push([0], || idle_worker(&started));
        let start = tokio::time::Instant::now();
        queue.settle(debounce, max_wait).await;
        assert_eq!(start.elapsed(), debounce, "nothing pushed meanwhile: one quiet spell");

        // A push every 30 ms for a second: the wait ends at `max_wait`.
        let pusher = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                for item in 1..=33 {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    queue.push([item], || async {});
                }
            })
        };
        let start = tokio::time::Instant::now();
        queue.settle(debounce, max_wait).await;
        assert_eq!(start.elapsed(), max_wait, "pushes kept coming");
        pusher.await.unwrap();

        // The pushes stopped at 990 ms: the next wait ends one quiet spell later.
        let start = tokio::time::Instant::now();
        queue.settle(debounce, max_wait).await;
        assert_eq!(start.elapsed(), debounce);
        queue.settle(Duration::ZERO, max_wait).await;
        assert_eq!(start.elapsed(), debounce, "no debounce: no wait");
        assert_eq!(queue.next_batch(usize::MAX).map(|batch| batch.len()), Some(34));
    }

    /// Each item is pushed the moment the previous one is done, that is
    /// while the worker goes back to the queue and finds it empty: the push
    /// either joins the running worker or starts a new one, and is never
    /// left behind (a worker that stopped after the push saw it running
    /// would leave the item pending for good).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_item_pushed_while_the_worker_stops_is_never_left_behind() {
        let queue = Arc::new(WorkQueue::default());
        let done = Arc::new(Mutex::new(Vec::new()));
        for item in 0..2_000 {
            let (worker_queue, worker_done) = (Arc::clone(&queue), Arc::clone(&done));
            queue.push([item], move || drain(worker_queue, worker_done));
            let finished = tokio::time::timeout(Duration::from_secs(10), async {
                while done.lock().unwrap().last() != Some(&item) {
                    tokio::task::yield_now().await;
                }
            })
            .await;
            assert!(finished.is_ok(), "item {item} was left pending");
        }
        assert_eq!(*done.lock().unwrap(), (0..2_000).collect::<Vec<usize>>(), "each item once, in turn");
    }

    async fn drain(queue: Arc<WorkQueue<usize>>, done: Arc<Mutex<Vec<usize>>>) {
        while let Some(batch) = queue.next_batch(7) {
            done.lock().unwrap().extend(batch);
            tokio::task::yield_now().await;
        }
    }
}
