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
        // the gate is on every endpoint of the group in ENDPOINTS too
        let n = c.endpoints_of(&g.id).count();
        let gated = groups.matches(&format!("{gate}\n    &{}::", g.id)).count();
        assert_eq!(gated, if always { 0 } else { n }, "{}", g.id);
    }
}

#[test]
fn bindings_outside_kis_api_have_no_feature_gates() {
    let files = emit::generate_catalog(&catalog(), &Options::external("Api"));
    assert!(!groups_rs(&files).contains("#[cfg(feature"));
}
