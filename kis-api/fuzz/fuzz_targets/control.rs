//! Fuzzes the realtime control messages: the JSON answers to subscribe and unsubscribe requests
//! and the `PINGPONG` heartbeat, read and handed to a session's bookkeeping with two
//! subscriptions waiting (`kis_api::realtime::fuzz_control`). Run from `kis-api/`:
//! `cargo +nightly fuzz run control fuzz/corpus/control fuzz/seeds/control -- -dict=fuzz/control.dict`
//! (see `fuzz/README.md`).

#![no_main]

use kis_api::realtime::fuzz_control;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // the session only ever sees UTF-8 text messages
    if let Ok(text) = std::str::from_utf8(data) {
        fuzz_control(text);
    }
});
