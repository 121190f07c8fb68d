//! Fuzzes the REST body decoder: one input decoded as the responses of a quote, a daily chart
//! (object and array blocks), a paginated balance and an order, and read for its envelope alone.
//! Run from `kis-api/`:
//! `cargo +nightly fuzz run rest_body fuzz/corpus/rest_body fuzz/seeds/rest_body -- -dict=fuzz/rest_body.dict`
//! (see `fuzz/README.md`).

#![no_main]

use kis_api::decode::{DecodeCx, decode_body, decode_envelope};
use kis_api::domestic_stock::{
    inquire_balance, inquire_daily_itemchartprice, inquire_price, order_cash,
};
use kis_api::runtime::Endpoint;
use libfuzzer_sys::fuzz_target;

/// Decodes `data` as the response of `E`; a success must carry the envelope the envelope
/// reader sees, and a failure must name the TR ID it was given.
fn one<E: Endpoint>(data: &[u8]) {
    let cx = DecodeCx::new("FUZZ", E::META);
    match decode_body::<E::Response>(data, &cx) {
        Ok((envelope, _)) => {
            if let Some(alone) = decode_envelope(data) {
                assert_eq!(alone.rt_cd, envelope.rt_cd, "two readings of rt_cd");
            }
        }
        Err(e) => {
            assert_eq!(e.tr_id, "FUZZ");
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    one::<inquire_price::Request>(data);
    one::<inquire_daily_itemchartprice::Request>(data);
    one::<inquire_balance::Request>(data);
    one::<order_cash::Request>(data);
    let _ = decode_envelope(data);
});
