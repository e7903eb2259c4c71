//! Panic containment: a panic inside one handler answers that request with an
//! error (or, for a notification, is logged) and the server goes on.
//!
//! tower-lsp-server polls handler futures inside its own serve loop, so a
//! panic there would end the process. Request futures are wrapped in
//! `CatchUnwind`, which polls them in place (no `spawn`: the first poll still
//! happens in the order the messages arrived) and turns a panic into a JSON-RPC
//! internal error. Synchronous notification work runs under `sync`.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};

/// A future that catches panics of the future it wraps.
pub struct CatchUnwind<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::result::Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(context))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// Runs a request handler; a panic becomes an internal error answer.
pub async fn request<T, F>(method: &'static str, future: F) -> Result<T>
where
    F: Future<Output = Result<T>>,
{
    match (CatchUnwind { inner: Box::pin(future) }).await {
        Ok(result) => result,
        Err(panic) => Err(panic_error(method, panic.as_ref())),
    }
}

/// Runs a notification handler; a panic is logged.
pub async fn notification<F>(method: &'static str, future: F)
where
    F: Future<Output = ()>,
{
    if let Err(panic) = (CatchUnwind { inner: Box::pin(future) }).await {
        tracing::error!("{}", panic_error(method, panic.as_ref()).message);
    }
}

/// Runs synchronous work; `None` when it panicked (already logged).
pub fn sync<T>(method: &'static str, work: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(value) => Some(value),
        Err(panic) => {
            tracing::error!("{}", panic_error(method, panic.as_ref()).message);
            None
        }
    }
}

/// Maps a failed `spawn_blocking` to an internal error.
pub fn join_error(method: &'static str, error: tokio::task::JoinError) -> Error {
    match error.try_into_panic() {
        Ok(panic) => panic_error(method, panic.as_ref()),
        Err(error) => internal_error(format!("{method} was cancelled: {error}")),
    }
}

pub fn internal_error(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InternalError, message: message.into().into(), data: None }
}

fn panic_error(method: &str, panic: &(dyn Any + Send)) -> Error {
    let reason = panic
        .downcast_ref::<&str>()
        .map(|reason| (*reason).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    internal_error(format!("ssot-lsp: internal error in {method}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_request_answers_an_internal_error() {
        let result: Result<()> = request("test/panic", async { panic!("boom") }).await;
        let error = result.unwrap_err();
        assert_eq!(error.code, ErrorCode::InternalError);
        assert!(error.message.contains("test/panic"), "{}", error.message);
        assert!(error.message.contains("boom"), "{}", error.message);
    }

    #[tokio::test]
    async fn a_panic_after_an_await_is_caught_too() {
        let result: Result<u8> = request("test/later", async {
            tokio::task::yield_now().await;
            panic!("{}", String::from("late"))
        })
        .await;
        assert!(result.unwrap_err().message.contains("late"));
    }

    #[tokio::test]
    async fn a_successful_request_passes_through() {
        assert_eq!(request("test/ok", async { Ok(7) }).await.unwrap(), 7);
    }

    #[test]
    fn sync_work_returns_none_on_panic() {
        assert_eq!(sync("test/sync", || 1), Some(1));
        assert_eq!(sync("test/sync", || -> u8 { panic!("no") }), None);
    }

    #[tokio::test]
    async fn a_panicking_blocking_task_maps_to_an_error() {
        let error = tokio::task::spawn_blocking(|| panic!("blocking")).await.unwrap_err();
        assert!(join_error("test/blocking", error).message.contains("blocking"));
    }
}
