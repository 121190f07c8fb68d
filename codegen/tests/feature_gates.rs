//! The generated source kis-api ships in its package (every group, each behind its cargo feature)
//! is the source the repository's build generates with every group enabled, and serves any
//! feature set.

use std::path::Path;

use kis_codegen::{ALWAYS_BUILT, Catalog, GeneratedFile, Options, emit, load_catalog};

fn catalog() -> Catalog {
    load_catalog(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"))
        .unwrap_or_else(|d| panic!("{d}"))
}

fn groups_rs(files: &[GeneratedFile]) -> &str {
    &files
        .iter()
        .find(|f| f.name == "groups.rs")
        .expect("groups.rs")
        .contents
}

#[test]
fn the_shipped_source_is_the_all_groups_build() {
    let c = catalog();
    let shipped = emit::generate_catalog(&c, &Options::for_kis_api(None));
    let all: Vec<String> = c.groups.iter().map(|g| g.id.clone()).collect();
    let built = emit::generate_catalog(&c, &Options::for_kis_api(Some(all)));
    assert_eq!(shipped, built);
}

#[test]
fn each_group_compiles_only_with_its_feature_except_those_always_built() {
    let c = catalog();
    let files = emit::generate_catalog(&c, &Options::for_kis_api(None));
    let groups = groups_rs(&files);
    for g in &c.groups {
        let module = format!("pub mod {} {{", g.id);
        let at = groups
            .find(&module)
            .unwrap_or_else(|| panic!("no module {}", g.id));
        let attributes = &groups[..at];
        let attributes = &attributes[attributes.rfind("}\n").map_or(0, |i| i + 2)..];
        let gate = format!("#[cfg(feature = \"{}\")]", g.feature);
        let always = ALWAYS_BUILT.contains(&g.id.as_str());
        assert_eq!(
            attributes.contains(&gate),
            !always,
            "{}: {attributes}",
            g.id
        );
        // the gate is on every endpoint of the group in ENDPOINTS too (a realtime TR's entry
        // carries the realtime gate after it)
        let n = c.endpoints_of(&g.id).count();
        let gated = groups.matches(&format!("{gate}\n    &{}::", g.id)).count()
            + groups
                .matches(&format!("{gate}\n    {REALTIME}\n    &{}::", g.id))
                .count();
        assert_eq!(gated, if always { 0 } else { n }, "{}", g.id);
    }
}

const REALTIME: &str = "#[cfg(feature = \"realtime\")]";

#[test]
fn realtime_trs_compile_only_with_the_realtime_feature() {
    let c = catalog();
    let files = emit::generate_catalog(&c, &Options::for_kis_api(None));
    let realtime: Vec<_> = c
        .endpoints
        .iter()
        .filter(|e| e.kind == kis_codegen::model::EndpointKind::WebSocket)
        .collect();
    assert!(realtime.len() >= 60, "{} realtime TRs", realtime.len());
    // each TR's ENDPOINTS entry, module and constant
    assert_eq!(groups_rs(&files).matches(REALTIME).count(), realtime.len());
    for e in &realtime {
        let file = &files
            .iter()
            .find(|f| f.name == format!("{}.rs", e.group))
            .expect("group file")
            .contents;
        let module = format!(
            "{REALTIME}\npub mod {} {{",
            kis_codegen::names::field_ident(&e.id)
        );
        assert!(file.contains(&module), "{} has no gated module", e.id);
        let tr = &e.tr.variants[0].real;
        let constant = format!("{REALTIME}\npub const {tr}: ");
        assert!(file.contains(&constant), "{} has no gated constant", e.id);
    }
    // and no REST endpoint is gated by it
    let gated_modules: usize = files
        .iter()
        .map(|f| f.contents.matches(&format!("{REALTIME}\npub mod ")).count())
        .sum();
    assert_eq!(gated_modules, realtime.len());
}

#[test]
fn bindings_outside_kis_api_have_no_feature_gates() {
    let files = emit::generate_catalog(&catalog(), &Options::external("Api"));
    assert!(!groups_rs(&files).contains("#[cfg(feature"));
}
