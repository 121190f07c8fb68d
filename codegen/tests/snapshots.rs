//! Review of the generated code: a representative handful of endpoints, and the whole API surface
//! in one line per endpoint. `cargo insta review` after a catalog or generator change.

use std::path::Path;

use kis_codegen::{Catalog, emit, load_catalog, surface};

fn catalog() -> Catalog {
    load_catalog(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec"))
        .unwrap_or_else(|d| panic!("{d}"))
}

fn source(c: &Catalog, id: &str) -> String {
    emit::endpoint_source(c, id).unwrap_or_else(|| panic!("no endpoint {id}"))
}

#[test]
fn single_object_quote() {
    insta::assert_snapshot!(source(&catalog(), "domestic_stock.inquire_price"));
}

#[test]
fn paginated_two_block_account_inquiry() {
    insta::assert_snapshot!(source(&catalog(), "domestic_stock.inquire_balance"));
}

#[test]
fn post_order_with_buy_sell_variants() {
    insta::assert_snapshot!(source(&catalog(), "domestic_stock.order_cash"));
}

#[test]
fn encrypted_websocket_tr() {
    insta::assert_snapshot!(source(&catalog(), "domestic_stock.ccnl_notice"));
}

#[test]
fn whole_api_surface() {
    let c = catalog();
    let s = surface::api_surface(&c);
    assert_eq!(
        s.lines().count(),
        c.endpoints.len(),
        "one line per endpoint"
    );
    insta::assert_snapshot!(s);
}

/// Every request field, response field and realtime column with its Rust type: a naming rule
/// or type mapping that retypes fields shows here as a reviewed diff.
#[test]
fn field_types() {
    let c = catalog();
    let s = emit::field_types(&c);
    let fields: usize = c
        .endpoints
        .iter()
        .map(|e| {
            let request = if e.kind == kis_codegen::model::EndpointKind::Rest {
                e.request.len()
            } else {
                0
            };
            request
                + e.response.body.len()
                + e.response
                    .blocks
                    .iter()
                    .map(|b| b.fields.len())
                    .sum::<usize>()
                + e.realtime.as_ref().map_or(0, |r| r.columns.len())
        })
        .sum();
    assert_eq!(s.lines().count(), fields, "one line per field");
    assert!(s.contains("domestic_stock.inquire_price output stck_prpr: Option<Decimal> ("));
    insta::assert_snapshot!(s);
}
