//! Tests of the data-frame parser: headers, multi-record payloads, decryption, `Debug`.

use super::*;
use crate::decode::RecordError;
use crate::realtime::crypto::tests::{IV, KEY, encrypt};

fn key() -> CipherKey {
    CipherKey::from_reply(KEY, IV).expect("key")
}

#[test]
fn headers_split_and_check() {
    let h = parse_frame("1|H0STCNI0|001|abc|def").expect("valid");
    assert_eq!(
        h,
        FrameHeader {
            encrypted: true,
            tr_id: "H0STCNI0",
            count: 1,
            payload: "abc|def",
        }
    );
    let bad = [
        ("", FrameErrorKind::BadFlag),
        ("0", FrameErrorKind::BadFlag),
        ("2|H0STCNT0|001|a", FrameErrorKind::BadFlag),
        ("01|H0STCNT0|001|a", FrameErrorKind::BadFlag),
        ("0|H0STCNT0", FrameErrorKind::BadTrId),
        ("0||001|a", FrameErrorKind::BadTrId),
        ("0|H0 STCNT0|001|a", FrameErrorKind::BadTrId),
        ("0|H0STCNT0|001", FrameErrorKind::BadCount),
        ("0|H0STCNT0|abc|a", FrameErrorKind::BadCount),
        ("0|H0STCNT0|000|a", FrameErrorKind::BadCount),
        ("0|H0STCNT0|-01|a", FrameErrorKind::BadCount),
        ("0|H0STCNT0|12345|a", FrameErrorKind::BadCount),
        ("0|H0STCNT0||a", FrameErrorKind::BadCount),
        ("0|H0STCNT0|001|", FrameErrorKind::EmptyPayload),
    ];
    for (text, kind) in bad {
        let e = parse_frame(text).expect_err(text);
        assert_eq!(e.kind, kind, "{text}");
    }
    let e = parse_frame("0|H0STCNT0|abc|a").expect_err("bad count");
    assert_eq!(e.tr_id.as_deref(), Some("H0STCNT0"));
}

#[test]
fn multi_record_payloads_split_untyped() {
    let f = RawFrame::parse("0|H0STCNT0|003|A^1^x^B^2^y^C^3^z", None).expect("frame");
    let recs: Vec<Vec<&str>> = f
        .records()
        .map(|r| r.expect("record").fields().collect())
        .collect();
    assert_eq!(
        recs,
        [["A", "1", "x"], ["B", "2", "y"], ["C", "3", "z"]].map(|r| r.to_vec())
    );
    let uneven = RawFrame::parse("0|H0STCNT0|002|A^1^x^B^2", None).expect("frame");
    let r: Vec<_> = uneven.records().collect();
    assert_eq!(
        r.len(),
        1,
        "one error, then nothing: the records cannot be told apart"
    );
    assert!(matches!(
        r[0],
        Err(RecordError::Uneven {
            fields: 5,
            count: 2
        })
    ));
}

#[test]
fn encrypted_frames_decrypt_once_into_an_owned_payload() {
    let plain = "suiteuser^5001234501^0000012345";
    let text = format!("1|H0STCNI0|001|{}", encrypt(KEY, IV, plain));
    let k = key();
    let f = RawFrame::parse(&text, Some(&k)).expect("decrypts");
    assert!(f.is_encrypted());
    assert_eq!((f.tr_id(), f.count(), f.payload()), ("H0STCNI0", 1, plain));
    let dbg = format!("{f:?}");
    assert!(
        !dbg.contains("suiteuser") && !dbg.contains("5001234501"),
        "{dbg}"
    );
    // no key: reported, not decrypted
    let e = RawFrame::parse(&text, None).expect_err("no key");
    assert_eq!(e.kind, FrameErrorKind::NoCipherKey);
    // wrong key, garbage, truncated
    let wrong = CipherKey::from_reply("ZYXWVUTSRQPONMLKJIHGFEDCBA543210", IV).expect("key");
    assert!(RawFrame::parse(&text, Some(&wrong)).is_err());
    let e = RawFrame::parse("1|H0STCNI0|001|%%%", Some(&k)).expect_err("garbage");
    assert_eq!(e.kind, FrameErrorKind::Base64);
    let cut = &text[..text.len() - 5];
    assert!(RawFrame::parse(cut, Some(&k)).is_err());
    // an encrypted empty string is no payload
    let empty = format!("1|H0STCNI0|001|{}", encrypt(KEY, IV, ""));
    let e = RawFrame::parse(&empty, Some(&k)).expect_err("empty");
    assert_eq!(e.kind, FrameErrorKind::EmptyPayload);
}

#[test]
fn plain_frames_show_in_debug() {
    let f = RawFrame::parse("0|H0STCNT0|001|005930^093354^71900", None).expect("frame");
    let dbg = format!("{f:?}");
    assert!(
        dbg.contains("H0STCNT0") && dbg.contains("005930^093354"),
        "{dbg}"
    );
}

#[test]
fn first_fields() {
    assert_eq!(first_field("005930^093354"), "005930");
    assert_eq!(first_field("005930"), "005930");
    assert_eq!(first_field(""), "");
}

#[cfg(feature = "domestic-stock")]
#[test]
fn frames_count_the_columns_the_catalog_does_not_list() {
    use crate::domestic_stock::ccnl_krx;
    use crate::endpoint::RealtimeTr;

    let text = include_str!("../../fuzz/seeds/frame/tick_extra").trim();
    let columns = ccnl_krx::Tr::META.columns.len();
    let raw = RawFrame::parse(text, None).expect("frame");
    let fields = raw.payload().split('^').count();
    assert!(fields > columns, "the seed has extra columns");
    // a parsed frame does not know its TR's columns; the session's frames do
    assert_eq!(raw.extra_columns(), None);
    let known = RawFrame {
        meta: Some(ccnl_krx::Tr::META),
        ..raw.clone()
    };
    assert_eq!(known.extra_columns(), Some(fields - columns));
    let typed = Frame::<ccnl_krx::Tr>::new(raw);
    assert_eq!(typed.extra_columns(), fields - columns);
    // the extra columns are skipped, not fatal
    assert!(typed.records().all(|r| r.is_ok()));
    let plain = RawFrame::parse(include_str!("../../fuzz/seeds/frame/tick_one").trim(), None)
        .expect("frame");
    assert_eq!(Frame::<ccnl_krx::Tr>::new(plain).extra_columns(), 0);
}

#[cfg(feature = "domestic-stock")]
#[test]
fn frames_shorter_than_the_catalog_decode_what_they_have() {
    use crate::domestic_stock::ccnl_krx;
    use crate::endpoint::RealtimeTr;
    use rust_decimal::Decimal;

    let columns = ccnl_krx::Tr::META.columns.len();
    // two records of three columns each: KIS dropped (or the catalog added) the rest
    let raw = RawFrame::parse(
        "0|H0STCNT0|002|005930^093354^71900^000660^093355^120000",
        None,
    )
    .expect("frame");
    assert_eq!(
        raw.missing_columns(),
        None,
        "a parsed frame does not know its TR"
    );
    let known = RawFrame {
        meta: Some(ccnl_krx::Tr::META),
        ..raw.clone()
    };
    assert_eq!(known.missing_columns(), Some(columns - 3));
    assert_eq!(known.extra_columns(), Some(0));
    let untyped: Vec<Vec<&str>> = known
        .records()
        .map(|r| {
            let r = r.expect("a short untyped record");
            r.columns()
                .map(|(c, v)| {
                    assert!(c.is_some(), "every field present has its column");
                    v
                })
                .collect()
        })
        .collect();
    assert_eq!(
        untyped,
        [
            ["005930", "093354", "71900"],
            ["000660", "093355", "120000"]
        ]
        .map(|r| r.to_vec())
    );

    let typed = Frame::<ccnl_krx::Tr>::new(raw);
    assert_eq!(
        (typed.missing_columns(), typed.extra_columns()),
        (columns - 3, 0)
    );
    let ticks: Vec<_> = typed
        .records()
        .map(|r| r.expect("a short record decodes"))
        .collect();
    assert_eq!(ticks.len(), 2);
    assert_eq!(ticks[1].mksc_shrn_iscd, "000660");
    assert_eq!(ticks[1].stck_prpr, Some(Decimal::from(120_000)));
    assert!(ticks[0].stck_cntg_hour.is_some());
    // every column past the third reads as None
    assert_eq!(
        (ticks[0].prdy_vrss, ticks[0].acml_vol, ticks[0].cttr),
        (None, None, None)
    );

    // a frame whose fields do not split into its records stays an error, and counts nothing
    let uneven = Frame::<ccnl_krx::Tr>::new(
        RawFrame::parse("0|H0STCNT0|002|005930^093354^71900", None).expect("frame"),
    );
    assert_eq!((uneven.missing_columns(), uneven.extra_columns()), (0, 0));
    let errors: Vec<_> = uneven.records().map(|r| r.err()).collect();
    assert!(
        matches!(
            errors[..],
            [Some(RecordError::Uneven {
                fields: 3,
                count: 2
            })]
        ),
        "{errors:?}"
    );
}
