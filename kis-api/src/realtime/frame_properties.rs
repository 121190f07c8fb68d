//! Property tests of the frame parser: thousands of seeded random and mutated frames, checked
//! against a naive reference reading. Deterministic (fixed seeds); a failure prints the seed and
//! the frame.

use super::crypto::CipherKey;
use super::crypto::tests::{IV, KEY, encrypt};
use super::frame::{RawFrame, fuzz_one, parse_frame};
use crate::decode::{RealtimeRecord, ValueError, price, realtime_records};
use crate::meta::{FieldMeta, ValueType};

/// A record of three text columns.
#[derive(Debug, Default, PartialEq)]
struct Three<'a> {
    a: &'a str,
    b: &'a str,
    c: &'a str,
}

impl<'a> RealtimeRecord<'a> for Three<'a> {
    const COLUMNS: &'static [FieldMeta] = &[
        FieldMeta::new("A", "a", ValueType::Code),
        FieldMeta::new("B", "b", ValueType::Text),
        FieldMeta::new("C", "c", ValueType::Text),
    ];
    fn set(&mut self, index: usize, raw: &'a str) -> Result<(), ValueError> {
        match index {
            0 => self.a = raw,
            1 => self.b = raw,
            2 => self.c = raw,
            _ => {}
        }
        Ok(())
    }
}

/// A record with a price column: exercises value errors.
#[derive(Debug, Default, PartialEq)]
struct Priced<'a> {
    code: &'a str,
    price: Option<rust_decimal::Decimal>,
}

impl<'a> RealtimeRecord<'a> for Priced<'a> {
    const COLUMNS: &'static [FieldMeta] = &[
        FieldMeta::new("CODE", "code", ValueType::Code),
        FieldMeta::new("PRICE", "price", ValueType::Price),
    ];
    fn set(&mut self, index: usize, raw: &'a str) -> Result<(), ValueError> {
        match index {
            0 => self.code = raw,
            1 => self.price = price(raw)?,
            _ => {}
        }
        Ok(())
    }
}

/// The header as a naive reader sees it: `splitn(4, '|')` and the documented rules.
fn reference(text: &str) -> Option<(bool, &str, usize, &str)> {
    let mut parts = text.splitn(4, '|');
    let flag = parts.next()?;
    let tr = parts.next()?;
    let count = parts.next()?;
    let payload = parts.next()?;
    let encrypted = match flag {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let tr_ok = !tr.is_empty() && tr.len() <= 32 && tr.chars().all(|c| c.is_ascii_alphanumeric());
    let count_ok = (1..=4).contains(&count.len()) && count.chars().all(|c| c.is_ascii_digit());
    if !tr_ok || !count_ok || payload.is_empty() {
        return None;
    }
    let n: usize = count.parse().ok()?;
    (n > 0).then_some((encrypted, tr, n, payload))
}

const TRS: [&str; 5] = ["H0STCNT0", "H0STCNI0", "H0STASP0", "HDFSCNT0", "H0IFCNI9"];
const PIECES: [&str; 16] = [
    "005930",
    "093354",
    "71900",
    "-0.53",
    "+1.26",
    "",
    " ",
    "삼성전자",
    "Y",
    "N",
    "20240102",
    "0",
    "1.5",
    "abc",
    "x",
    "99999999999999999999999999999999",
];
const NOISE: [char; 20] = [
    '|', '^', '0', '1', '9', 'A', 'z', ' ', '=', '+', '/', '\n', '\0', '체', '가', '{', '}', '"',
    '-', '.',
];

fn random_payload(rng: &mut fastrand::Rng, count: usize, width: usize) -> String {
    let mut s = String::new();
    for i in 0..count * width {
        if i > 0 {
            s.push('^');
        }
        s.push_str(PIECES[rng.usize(..PIECES.len())]);
    }
    s
}

fn random_frame(rng: &mut fastrand::Rng) -> String {
    let count = rng.usize(1..=4);
    let width = rng.usize(1..=5);
    let mut plain = random_payload(rng, count, width);
    if plain.is_empty() {
        // a frame always carries something
        plain.push('0');
    }
    let tr = TRS[rng.usize(..TRS.len())];
    if rng.bool() {
        format!("1|{tr}|{count:03}|{}", encrypt(KEY, IV, &plain))
    } else {
        format!("0|{tr}|{count:03}|{plain}")
    }
}

fn mutate(rng: &mut fastrand::Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.usize(1..=3) {
        match rng.u8(0..6) {
            0 if !chars.is_empty() => {
                let i = rng.usize(..chars.len());
                chars[i] = NOISE[rng.usize(..NOISE.len())];
            }
            1 => {
                let i = rng.usize(..=chars.len());
                chars.insert(i, NOISE[rng.usize(..NOISE.len())]);
            }
            2 if !chars.is_empty() => {
                let i = rng.usize(..chars.len());
                chars.remove(i);
            }
            3 => {
                let keep = rng.usize(..=chars.len());
                chars.truncate(keep);
            }
            4 if chars.len() > 2 => {
                // duplicate a slice
                let a = rng.usize(..chars.len());
                let b = rng.usize(a..chars.len());
                let copy: Vec<char> = chars[a..b].to_vec();
                let at = rng.usize(..=chars.len());
                chars.splice(at..at, copy);
            }
            _ => {
                // a random character anywhere in the BMP (surrogates excluded)
                let c = char::from_u32(rng.u32(1..0xD7FF)).unwrap_or('?');
                let i = rng.usize(..=chars.len());
                chars.insert(i, c);
            }
        }
    }
    chars.into_iter().collect()
}

/// Checks one frame against the reference reading; returns whether it yielded records.
fn check(text: &str, cipher: &CipherKey) -> bool {
    fuzz_one(text, cipher);
    let reference = reference(text);
    let parsed = parse_frame(text).ok();
    assert_eq!(
        parsed.map(|h| (h.encrypted, h.tr_id, h.count, h.payload)),
        reference,
        "header of {text:?}"
    );
    let Some((encrypted, tr, count, payload)) = reference else {
        assert!(RawFrame::parse(text, Some(cipher)).is_err(), "{text:?}");
        return false;
    };
    let Ok(frame) = RawFrame::parse(text, Some(cipher)) else {
        assert!(
            encrypted,
            "a plain frame with a valid header parses: {text:?}"
        );
        return false;
    };
    assert_eq!((frame.tr_id(), frame.count()), (tr, count));
    let plain = if encrypted {
        cipher.decrypt(payload).ok()
    } else {
        Some(payload.to_owned())
    };
    assert_eq!(plain.as_deref(), Some(frame.payload()), "{text:?}");
    let fields: Vec<&str> = frame.payload().split('^').collect();
    let even = fields.len().is_multiple_of(count);
    let width = fields.len() / count;

    // the field of column `j` of record `i`, or None past the record's width
    let field = |i: usize, j: usize| (j < width).then(|| fields[i * width + j]);
    // typed, text columns: records exactly when the fields split evenly, whatever their width;
    // the columns a short record lacks stay empty and are counted
    let records = realtime_records::<Three<'_>>(frame.payload(), count, &crate::CATALOG);
    let (missing, extra) = (records.missing_columns(), records.extra_columns());
    let typed: Vec<_> = records.collect();
    if even {
        assert_eq!(
            (missing, extra),
            (3usize.saturating_sub(width), width.saturating_sub(3))
        );
        assert_eq!(typed.len(), count);
        for (i, r) in typed.iter().enumerate() {
            let r = r.as_ref().expect("text columns always parse");
            let at = |j| field(i, j).unwrap_or("");
            assert_eq!((r.a, r.b, r.c), (at(0), at(1), at(2)));
        }
    } else {
        assert_eq!((missing, extra), (0, 0), "uneven: {text:?}");
        assert_eq!(typed.len(), 1, "one error and nothing else: {text:?}");
        assert!(typed[0].is_err());
    }
    // typed, a price column: never a record from an uneven payload, never a wrong price, no
    // price from a record without the column
    for (i, r) in
        realtime_records::<Priced<'_>>(frame.payload(), count, &crate::CATALOG).enumerate()
    {
        match r {
            Ok(p) => {
                assert!(even, "{text:?}");
                assert_eq!(Some(p.code), field(i, 0));
                match field(i, 1) {
                    Some(f) => assert_eq!(Ok(p.price), price(f)),
                    None => assert_eq!(p.price, None, "{text:?}"),
                }
            }
            Err(crate::decode::RecordError::Value { column, .. }) => {
                assert_eq!(column, "PRICE");
                assert!(field(i, 1).is_some_and(|f| price(f).is_err()), "{text:?}");
            }
            Err(_) => assert!(!even, "{text:?}"),
        }
    }
    // untyped
    let raw: Vec<_> = frame.records().collect();
    if even {
        assert_eq!(raw.len(), count);
        for (i, r) in raw.iter().enumerate() {
            let r = r.as_ref().expect("untyped records of an even payload");
            let got: Vec<&str> = r.fields().collect();
            assert_eq!(got, fields[i * width..(i + 1) * width].to_vec());
        }
    } else {
        assert!(raw.iter().all(Result::is_err) && raw.len() == 1);
    }
    even
}

#[test]
fn random_and_mutated_frames_never_panic_and_never_lie() {
    let cipher = CipherKey::from_reply(KEY, IV).expect("key");
    let mut refused = 0;
    for seed in 0..4u64 {
        let mut rng = fastrand::Rng::with_seed(0x4b49_5300 + seed);
        for _ in 0..3_000 {
            let frame = random_frame(&mut rng);
            // valid frames always yield their records
            assert!(check(&frame, &cipher), "seed {seed}: {frame:?}");
            let bad = mutate(&mut rng, &frame);
            if !check(&bad, &cipher) {
                refused += 1;
            }
        }
    }
    // the mutations hit headers, separators and ciphertexts: most are refused
    assert!(refused > 6_000, "only {refused} mutated frames refused");
}

#[test]
fn arbitrary_text_never_panics() {
    let cipher = CipherKey::from_reply(KEY, IV).expect("key");
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..5_000 {
        let len = rng.usize(0..64);
        let text: String = (0..len)
            .map(|_| {
                if rng.bool() {
                    NOISE[rng.usize(..NOISE.len())]
                } else {
                    char::from_u32(rng.u32(1..0x2FFFF)).unwrap_or('?')
                }
            })
            .collect();
        check(&text, &cipher);
    }
}

/// The seed corpus of the fuzz target (`kis-api/fuzz/seeds/frame`) stays meaningful: its frames
/// parse, decrypt and decode as their TRs.
#[cfg(feature = "domestic-stock")]
#[test]
fn the_fuzz_seeds_decode() {
    use crate::domestic_stock::{ccnl_krx, ccnl_notice};
    use crate::realtime::control::{Control, parse_control};

    let cipher = CipherKey::from_reply(KEY, IV).expect("key");
    let seed = |name: &str, text: &str| {
        check(text, &cipher);
        RawFrame::parse(text, Some(&cipher)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    for (name, text, records) in [
        (
            "tick_one",
            include_str!("../../fuzz/seeds/frame/tick_one"),
            1,
        ),
        (
            "tick_two",
            include_str!("../../fuzz/seeds/frame/tick_two"),
            2,
        ),
        (
            "tick_extra",
            include_str!("../../fuzz/seeds/frame/tick_extra"),
            1,
        ),
    ] {
        let f = seed(name, text);
        let mut decoded = 0;
        for r in f.decode::<ccnl_krx::Tr>().expect("an H0STCNT0 frame") {
            let r = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.mksc_shrn_iscd, "005930", "{name}");
            decoded += 1;
        }
        assert_eq!(decoded, records, "{name}");
    }
    let short = seed(
        "tick_short",
        include_str!("../../fuzz/seeds/frame/tick_short"),
    );
    // a frame shorter than the catalog decodes the columns it has; the rest are counted
    let tick = short
        .decode::<ccnl_krx::Tr>()
        .and_then(|mut r| r.next())
        .expect("a record")
        .expect("a short record decodes");
    assert_eq!(tick.mksc_shrn_iscd, "005930");
    assert_eq!(tick.stck_prpr, Some(rust_decimal::Decimal::from(71900)));
    assert_eq!(tick.acml_vol, None);
    let columns = <ccnl_krx::Tr as crate::endpoint::RealtimeTr>::META
        .columns
        .len();
    let short = super::frame::Frame::<ccnl_krx::Tr>::new(short);
    assert_eq!(short.missing_columns(), columns - 3);
    for (name, text) in [
        ("notice", include_str!("../../fuzz/seeds/frame/notice")),
        (
            "notice_demo",
            include_str!("../../fuzz/seeds/frame/notice_demo"),
        ),
    ] {
        let f = seed(name, text);
        assert!(f.is_encrypted());
        let n = f
            .decode::<ccnl_notice::Tr>()
            .and_then(|mut r| r.next())
            .expect("a record")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((n.cust_id, n.oder_no), ("suiteuser", "0000012345"));
    }
    assert!(matches!(
        parse_control(include_str!("../../fuzz/seeds/frame/pingpong")),
        Ok(Control::PingPong)
    ));
    assert!(matches!(
        parse_control(include_str!("../../fuzz/seeds/frame/reply")),
        Ok(Control::Reply(r)) if matches!(r.cipher, Some(Ok(_)))
    ));
}
