//! Code generation of the whole catalog, in-process: load and validate, then generate and format.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

fn generate(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let sources = kis_codegen::read_sources(&dir).unwrap_or_else(|d| panic!("{d}"));
    let catalog = kis_codegen::load_from_sources(&sources).unwrap_or_else(|d| panic!("{d}"));
    let options = kis_codegen::Options::for_kis_api(None);
    let mut g = c.benchmark_group("codegen");
    g.sample_size(10);
    g.bench_function("load_and_validate", |b| {
        b.iter(|| black_box(kis_codegen::load_from_sources(black_box(&sources)).is_ok()))
    });
    g.bench_function("generate_and_format", |b| {
        b.iter(|| {
            black_box(kis_codegen::emit::generate_catalog(black_box(&catalog), &options).len())
        })
    });
    g.bench_function("whole_catalog", |b| {
        b.iter(|| {
            let c = kis_codegen::load_from_sources(black_box(&sources))
                .unwrap_or_else(|d| panic!("{d}"));
            black_box(kis_codegen::emit::generate_catalog(&c, &options).len())
        })
    });
    g.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
