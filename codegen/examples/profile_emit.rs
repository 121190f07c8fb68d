//! Times the stages of code generation for the real catalog.
fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let t = std::time::Instant::now();
    let c = kis_codegen::load_catalog(&dir).expect("catalog");
    let load = t.elapsed();
    let t = std::time::Instant::now();
    let files = kis_codegen::emit::generate_catalog(&c, &kis_codegen::Options::for_kis_api(None));
    let gen_ = t.elapsed();
    let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    println!("load {:?} generate {:?} ({} bytes)", load, gen_, bytes);
    let t = std::time::Instant::now();
    for f in &files {
        let _ = syn::parse_file(&f.contents);
    }
    println!("syn parse of output {:?}", t.elapsed());
}
