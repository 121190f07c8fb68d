//! Test support: the log events of one test, captured.
//!
//! One global subscriber routes each event to the capture of the thread it happens on. A scoped
//! subscriber (`set_default`) misses events when other tests of the same binary create and drop
//! theirs at the same time (tracing caches each callsite's interest), so every unit test that
//! reads logs uses this one. Async tests that capture run on tokio's current-thread runtime, so
//! their tasks log on the test's thread.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

/// One event as captured.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    /// Its level.
    pub(crate) level: tracing::Level,
    /// `target: message`, as a reader of the log sees it.
    pub(crate) message: String,
    /// Level, target and every field (`key=value`), for checks that no field leaks a secret.
    pub(crate) line: String,
}

/// The events of the current thread from [`Capture::start`] on.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<Event>>>);

impl Capture {
    /// Starts capturing this thread's events (replacing an earlier capture of the thread).
    pub(crate) fn start() -> Capture {
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        let installed =
            INSTALLED.get_or_init(|| tracing::subscriber::set_global_default(ByThread).is_ok());
        assert!(installed, "the capturing subscriber is the global one");
        let c = Capture::default();
        CAPTURING.with(|t| *t.borrow_mut() = Some(Arc::clone(&c.0)));
        c
    }

    /// Every event so far.
    pub(crate) fn events(&self) -> Vec<Event> {
        self.0.lock().expect("lock").clone()
    }

    /// Every event so far as a line with its level, target and fields.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.events().into_iter().map(|e| e.line).collect()
    }

    /// Every event so far as `target: message`.
    pub(crate) fn messages(&self) -> Vec<String> {
        self.events().into_iter().map(|e| e.message).collect()
    }

    /// How many events of `level` so far.
    pub(crate) fn count(&self, level: tracing::Level) -> usize {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| e.level == level)
            .count()
    }
}

thread_local! {
    static CAPTURING: RefCell<Option<Arc<Mutex<Vec<Event>>>>> = const { RefCell::new(None) };
}

/// The global subscriber of the test binary: hands each event to its thread's [`Capture`].
struct ByThread;

impl tracing::Subscriber for ByThread {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Fields<'a> {
            line: &'a mut String,
            message: &'a mut String,
        }
        impl tracing::field::Visit for Fields<'_> {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                let _ = write!(self.line, " {}={v:?}", f.name());
                if f.name() == "message" {
                    let _ = write!(self.message, "{v:?}");
                }
            }
        }
        let Some(events) = CAPTURING.with(|t| t.borrow().clone()) else {
            return;
        };
        let m = event.metadata();
        let mut line = format!("{} {}:", m.level(), m.target());
        let mut message = format!("{}: ", m.target());
        event.record(&mut Fields {
            line: &mut line,
            message: &mut message,
        });
        if let Ok(mut events) = events.lock() {
            events.push(Event {
                level: *m.level(),
                message,
                line,
            });
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
