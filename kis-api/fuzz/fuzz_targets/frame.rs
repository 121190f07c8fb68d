//! Fuzzes the realtime frame parser: header split, AES-256-CBC decryption, untyped and typed
//! records, control messages, the scrubbing of server text. Run from `kis-api/`:
//! `cargo +nightly fuzz run frame fuzz/corpus/frame fuzz/seeds/frame -- -dict=fuzz/frame.dict`
//! (see `fuzz/README.md`).

#![no_main]

use std::sync::OnceLock;

use kis_api::domestic_stock::{ccnl_krx, ccnl_notice};
use kis_api::realtime::{CipherKey, RawFrame, fuzz_one};
use libfuzzer_sys::fuzz_target;

/// The key the encrypted seeds were made with.
fn key() -> &'static CipherKey {
    static KEY: OnceLock<CipherKey> = OnceLock::new();
    KEY.get_or_init(|| {
        CipherKey::from_reply("abcdefghijklmnopqrstuvwxyz012345", "0123456789abcdef")
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    // the session only ever sees UTF-8 text messages
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    fuzz_one(text, key());
    if let Ok(frame) = RawFrame::parse(text, Some(key())) {
        if let Some(records) = frame.decode::<ccnl_krx::Tr>() {
            for r in records.flatten() {
                let _ = (r.mksc_shrn_iscd, r.stck_prpr, r.stck_cntg_hour);
            }
        }
        if let Some(records) = frame.decode::<ccnl_notice::Tr>() {
            for r in records.flatten() {
                let _ = (r.oder_no, r.cntg_qty, r.cntg_unpr);
            }
        }
    }
});
