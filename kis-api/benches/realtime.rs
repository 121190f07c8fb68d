//! Realtime parse: H0STCNT0 (46 columns) and H0STASP0 (62 columns) frames carrying several records,
//! parsed into the generated records against a naive split of every record into `Vec<String>`.
//!
//! Both sides start from the frame text (`0|TR|count|payload`) and end with every column available,
//! so the ratio is the cost of typing (decimals, times, borrowed codes) against the cost of owning.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kis_api::decode::realtime_records;
use kis_api::domestic_stock::{asking_price_krx, ccnl_krx};
use kis_api::meta::ValueType;
use kis_api::realtime::parse_frame;
use kis_api::runtime::RealtimeTr;

const RECORDS_PER_FRAME: usize = 8;

/// A frame of `records` records whose column values look like KIS's for each column's type.
fn frame<T: RealtimeTr>(records: usize) -> String {
    let columns = T::META.columns;
    let mut payload = Vec::with_capacity(records * columns.len());
    for r in 0..records {
        for (i, c) in columns.iter().enumerate() {
            let n = r * 31 + i * 7;
            payload.push(match c.ty {
                ValueType::Text | ValueType::Code => format!("{:06}", 5930 + i),
                ValueType::Price | ValueType::Amount => format!("{}", 71_000 + n * 100),
                ValueType::Decimal | ValueType::Rate => format!("-{}.{:02}", n % 30, n % 100),
                ValueType::Quantity | ValueType::Integer => format!("{}", 1_000 + n * 13),
                ValueType::Date => "20241125".to_owned(),
                ValueType::Time => format!("09{:02}{:02}", n % 60, (n * 7) % 60),
                ValueType::DateTime => "20241125093015".to_owned(),
                ValueType::YesNo => "N".to_owned(),
            });
        }
    }
    format!(
        "0|{}|{records:03}|{}",
        T::META.variants.first().map_or("", |v| v.real),
        payload.join("^")
    )
}

/// Header split shared by both sides (the library's): TR ID, record count, payload.
fn split_header(text: &str) -> Option<(&str, usize, &str)> {
    let h = parse_frame(text).ok()?;
    Some((h.tr_id, h.count, h.payload))
}

fn typed<T: RealtimeTr>(text: &str) -> usize {
    let Some((_, count, payload)) = split_header(text) else {
        return 0;
    };
    let mut ok = 0;
    for record in realtime_records::<T::Record<'_>>(payload, count, T::META.catalog).flatten() {
        black_box(&record);
        ok += 1;
    }
    ok
}

fn naive(text: &str, width: usize) -> usize {
    let Some((_, count, payload)) = split_header(text) else {
        return 0;
    };
    let fields: Vec<String> = payload.split('^').map(str::to_owned).collect();
    let mut ok = 0;
    for record in fields.chunks(width).take(count) {
        let record: Vec<String> = record.to_vec();
        black_box(&record);
        ok += 1;
    }
    ok
}

fn bench<T: RealtimeTr>(c: &mut Criterion, name: &str) {
    let text = frame::<T>(RECORDS_PER_FRAME);
    let width = T::META.columns.len();
    // both sides must see every record, or the comparison is meaningless
    assert_eq!(
        typed::<T>(&text),
        RECORDS_PER_FRAME,
        "{name}: typed parse failed"
    );
    assert_eq!(
        naive(&text, width),
        RECORDS_PER_FRAME,
        "{name}: naive split failed"
    );
    let mut g = c.benchmark_group(format!("realtime_parse/{name}"));
    g.throughput(Throughput::Elements(RECORDS_PER_FRAME as u64));
    g.bench_function("typed", |b| b.iter(|| typed::<T>(black_box(&text))));
    g.bench_function("naive_vec_string", |b| {
        b.iter(|| naive(black_box(&text), width))
    });
    g.finish();
}

fn realtime(c: &mut Criterion) {
    bench::<ccnl_krx::Tr>(c, "H0STCNT0_46_cols_x8");
    bench::<asking_price_krx::Tr>(c, "H0STASP0_62_cols_x8");
}

criterion_group!(benches, realtime);
criterion_main!(benches);
