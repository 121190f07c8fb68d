//! The compiled bindings cover the catalog on disk: one generated endpoint per catalog file, with
//! the catalog's path, TR IDs, blocks, fields and value types. (That each has a working typed method is shown
//! by the integration suite, which calls every one of them against kis-mock.)

#![cfg(all(
    feature = "domestic-stock",
    feature = "domestic-bond",
    feature = "domestic-futureoption",
    feature = "elw",
    feature = "etfetn",
    feature = "overseas-stock",
    feature = "overseas-futureoption"
))]

use std::collections::BTreeSet;
use std::path::Path;

use kis_api::ENDPOINTS;

#[test]
fn every_catalog_endpoint_is_generated_with_the_catalog_s_facts() {
    let spec = Path::new(kis_catalog::CATALOG_DIR);
    let catalog = kis_catalog::load_catalog(spec).unwrap_or_else(|d| panic!("{d}"));
    let generated: BTreeSet<&str> = ENDPOINTS.iter().map(|m| m.id).collect();
    let in_catalog: BTreeSet<&str> = catalog
        .endpoints
        .iter()
        .map(|e| e.qualified_id.as_str())
        .collect();
    assert_eq!(ENDPOINTS.len(), generated.len(), "endpoint ids are unique");
    assert_eq!(
        generated, in_catalog,
        "generated endpoints differ from the catalog"
    );
    assert!(ENDPOINTS.len() >= 339, "{} endpoints", ENDPOINTS.len());

    for e in &catalog.endpoints {
        let m = ENDPOINTS
            .iter()
            .find(|m| m.id == e.qualified_id)
            .unwrap_or_else(|| panic!("{} not generated", e.qualified_id));
        assert_eq!(m.path, e.path, "{}: path", m.id);
        assert_eq!(m.demo, e.demo, "{}: demo", m.id);
        let tr: Vec<(&str, Option<&str>)> = m.variants.iter().map(|v| (v.real, v.demo)).collect();
        let want: Vec<(&str, Option<&str>)> =
            e.tr.variants
                .iter()
                .map(|v| (v.real.as_str(), v.demo.as_deref()))
                .collect();
        assert_eq!(tr, want, "{}: TR IDs", m.id);
        // each block's fields in order, with their value types
        let blocks: Vec<(&str, Vec<(&str, kis_api::meta::ValueType)>)> = m
            .blocks
            .iter()
            .map(|b| {
                let fields = b.fields.iter().map(|f| (f.wire, f.ty)).collect();
                (b.wire, fields)
            })
            .collect();
        let want: Vec<(&str, Vec<(&str, kis_api::meta::ValueType)>)> = e
            .response
            .blocks
            .iter()
            .map(|b| {
                let fields = b.fields.iter().map(|f| (f.wire.as_str(), f.ty)).collect();
                (b.wire.as_str(), fields)
            })
            .collect();
        assert_eq!(blocks, want, "{}: blocks", m.id);
        assert_eq!(m.request.len(), e.request.len(), "{}: request fields", m.id);
    }
}
