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
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl tracing::Subscriber for Seen {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            struct Message<'a>(&'a mut String);
            impl tracing::field::Visit for Message<'_> {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    if f.name() == "message" {
                        self.0.push_str(&format!("{v:?}"));
                    }
                }
            }
            let mut m = format!("{}: ", event.metadata().target());
            event.record(&mut Message(&mut m));
            if let Ok(mut seen) = self.0.lock() {
                seen.push(m);
            }
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[tokio::test(start_paused = true)]
    async fn waits_over_a_second_are_announced_before_they_start() {
        let seen = Seen::default();
        let _guard = tracing::subscriber::set_default(seen.clone());
        sleep(Duration::from_millis(900), "quietly").await;
        assert!(seen.0.lock().expect("lock").is_empty());
        let long = tokio::spawn({
            let seen = seen.clone();
            async move {
                let _guard = tracing::subscriber::set_default(seen);
                sleep(Duration::from_secs(61), "before issuing a token").await;
            }
        });
        tokio::task::yield_now().await;
        let lines = seen.0.lock().expect("lock").clone();
        assert!(!long.is_finished(), "announced before the wait ends");
        assert_eq!(
            lines,
            ["kis_api::wait: waiting 61.0 s before issuing a token"]
        );
        long.await.expect("task");
    }
}
