//! Fuzzes the reader of the official samples' `kis_devlp.yaml`: any text either parses into a
//! configuration or is refused with a message; nothing panics. Run from `kis-api/`:
//! `cargo +nightly fuzz run devlp_config fuzz/corpus/devlp_config fuzz/seeds/devlp_config -- -dict=fuzz/devlp_config.dict`
//! (see `fuzz/README.md`).

#![no_main]

use kis_api::DevlpConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // the reader takes text: a file that is not UTF-8 is refused before parsing
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match DevlpConfig::parse(text) {
        Ok(c) => {
            // what was read is usable: credentials are never empty, accounts are well-formed
            for creds in [&c.real, &c.demo].into_iter().flatten() {
                assert!(!creds.app_key.is_empty() && !creds.app_secret.is_empty());
            }
            for a in c.accounts.values() {
                assert_eq!((a.number().len(), a.product().len()), (8, 2));
            }
        }
        Err(message) => assert!(!message.is_empty(), "a refusal says why"),
    }
});
