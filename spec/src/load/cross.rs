//! Checks across endpoint files: ids, TR IDs and table rows each belong to one endpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Endpoint, Variant};

/// Records every id, TR ID or table row claimed by two endpoints.
pub(super) fn cross_checks(endpoints: &[Endpoint], diags: &mut Diagnostics) {
    unique_ids(endpoints, diags);
    unique_tr_ids(endpoints, diags);
    unique_table_rows(endpoints, diags);
}

/// An endpoint id is used once.
fn unique_ids(endpoints: &[Endpoint], diags: &mut Diagnostics) {
    let mut ids: BTreeMap<&str, &Endpoint> = BTreeMap::new();
    for e in endpoints {
        if let Some(prev) = ids.insert(&e.qualified_id, e) {
            diags.push(Diagnostic::new(
                Path::new(&e.source),
                "id",
                None,
                format!(
                    "endpoint id '{}' is also used by {}",
                    e.qualified_id, prev.source
                ),
            ));
        }
    }
}

/// A TR ID names one endpoint (a variant may use the same ID in real and demo).
fn unique_tr_ids(endpoints: &[Endpoint], diags: &mut Diagnostics) {
    let mut owners: BTreeMap<String, &Endpoint> = BTreeMap::new();
    for e in endpoints {
        for tr in tr_ids_of(e, diags) {
            if let Some(prev) = owners.get(&tr) {
                diags.push(Diagnostic::new(
                    Path::new(&e.source),
                    "tr_id",
                    None,
                    format!(
                        "TR ID {tr} is also used by {} ({})",
                        prev.qualified_id, prev.source
                    ),
                ));
            } else {
                owners.insert(tr, e);
            }
        }
    }
}

/// Every TR ID of `e`, recording IDs repeated within a variant or shared by two variants.
fn tr_ids_of(e: &Endpoint, diags: &mut Diagnostics) -> BTreeSet<String> {
    let mut mine = BTreeSet::new();
    for (vi, v) in e.tr.variants.iter().enumerate() {
        let mut local = BTreeSet::new();
        for (tr, is_demo) in ids_of_variant(v) {
            let same_as_real = is_demo && tr == v.real;
            if !same_as_real && !local.insert(tr.clone()) {
                diags.push(Diagnostic::new(
                    Path::new(&e.source),
                    format!("tr_id.variants[{vi}]"),
                    None,
                    format!("TR ID {tr} appears twice in variant '{}'", v.name),
                ));
            }
            // two variants of one endpoint sharing an ID could not be told apart
            if !mine.insert(tr.clone()) && !same_as_real && variants_using(e, &tr) > 1 {
                diags.push(Diagnostic::new(
                    Path::new(&e.source),
                    "tr_id",
                    None,
                    format!("TR ID {tr} is used by two variants"),
                ));
            }
        }
    }
    mine
}

/// A variant's TR IDs: real, demo (flagged `true`) and aliases.
fn ids_of_variant(v: &Variant) -> Vec<(String, bool)> {
    let mut ids = vec![(v.real.clone(), false)];
    if let Some(d) = &v.demo {
        ids.push((d.clone(), true));
    }
    ids.extend(v.aliases.iter().map(|a| (a.tr_id.clone(), false)));
    ids
}

/// How many variants of `e` send `tr` as their real or demo TR ID.
fn variants_using(e: &Endpoint, tr: &str) -> usize {
    e.tr.variants
        .iter()
        .filter(|o| o.real == tr || o.demo.as_deref() == Some(tr))
        .count()
}

/// A row of the sources' endpoint table maps to one endpoint.
fn unique_table_rows(endpoints: &[Endpoint], diags: &mut Diagnostics) {
    let mut rows: BTreeMap<&str, &Endpoint> = BTreeMap::new();
    for e in endpoints {
        for r in &e.table_rows {
            if let Some(prev) = rows.insert(r, e) {
                diags.push(Diagnostic::new(
                    Path::new(&e.source),
                    "table_rows",
                    None,
                    format!("table row '{r}' is already mapped to {}", prev.qualified_id),
                ));
            }
        }
    }
}
