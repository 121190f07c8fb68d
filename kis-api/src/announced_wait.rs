//! Sleeping with notice: a wait longer than a second is announced before it starts, so a
//! program that seems stuck says why. Announcements are `info` events of the target
//! `kis_api::wait` (the `kis` command line shows them by default).

use std::time::Duration;

/// Waits up to this long pass without a word.
const QUIET: Duration = Duration::from_secs(1);

/// Sleeps `wait`, announcing it first when it is longer than a second; `why` completes
/// "waiting N s ...".
pub(crate) async fn sleep(wait: Duration, why: &str) {
    if wait > QUIET {
        tracing::info!(
            target: "kis_api::wait",
            wait_ms = wait.as_millis() as u64,
            "waiting {:.1} s {why}",
            wait.as_secs_f64()
        );
    }
    tokio::time::sleep(wait).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_log::Capture;

    #[tokio::test(start_paused = true)]
    async fn waits_over_a_second_are_announced_before_they_start() {
        let seen = Capture::start();
        sleep(Duration::from_millis(900), "quietly").await;
        assert!(seen.events().is_empty());
        let long = tokio::spawn(async move {
            sleep(Duration::from_secs(61), "before issuing a token").await;
        });
        tokio::task::yield_now().await;
        let lines = seen.messages();
        assert!(!long.is_finished(), "announced before the wait ends");
        assert_eq!(
            lines,
            ["kis_api::wait: waiting 61.0 s before issuing a token"]
        );
        long.await.expect("task");
    }
}
