//! Fuzzes the reader of KIS's token answers (`POST /oauth2/tokenP`): any body either gives a token
//! that can be sent as a header and lives between two minutes and a day, or is refused; nothing
//! panics (absurd `expires_in`, expiry times at the calendar's ends, control characters in the
//! token). Run from `kis-api/`:
//! `cargo +nightly fuzz run token_answer fuzz/corpus/token_answer fuzz/seeds/token_answer -- -dict=fuzz/token_answer.dict`
//! (see `fuzz/README.md`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match kis_api::__read_token_answer(data) {
        Ok(lifetime) => assert!(
            (120..=86_400).contains(&lifetime),
            "a token lives between two minutes and a day, not {lifetime} s"
        ),
        Err(why) => assert!(!why.is_empty(), "a refusal says why"),
    }
});
