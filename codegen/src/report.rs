//! The catalog summary printed by `cargo xtask spec-report`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Catalog, EndpointKind};

pub mod audit;

use audit::Audit;

/// Summary of a catalog; serialises to the JSON of `cargo xtask spec-report --json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Number of endpoints.
    pub endpoints: usize,
    /// Endpoints per group, in group order.
    pub by_group: BTreeMap<String, usize>,
    /// Endpoints the demo environment serves.
    pub demo: usize,
    /// Realtime WebSocket TRs.
    pub websocket: usize,
    /// REST endpoints (auth included).
    pub rest: usize,
    /// Endpoints with continuation keys.
    pub paginated: usize,
    /// Blocks whose field split is a judgement.
    pub judged_blocks: usize,
    /// Which blocks those are (`group.id.block`).
    pub judged: Vec<String>,
    /// Response fields and columns per value type.
    pub value_types: BTreeMap<String, usize>,
    /// Response fields and columns typed by an explicit `type:`.
    pub explicit_types: usize,
    /// Rows of KIS's API table mapped to an entry.
    pub table_rows: usize,
    /// Recorded corrections of the sources.
    pub fixes: usize,
    /// Patterns that usually mean an entry disagrees with KIS, and the reasons recorded for them.
    pub audit: Audit,
    /// One entry per endpoint.
    pub entries: Vec<Entry>,
}

/// One endpoint in the report.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// Qualified id.
    pub id: String,
    /// Group.
    pub group: String,
    /// Korean name.
    pub name: String,
    /// `GET`, `POST` or `WS`.
    pub method: String,
    /// Path.
    pub path: String,
    /// Whether demo serves it.
    pub demo: bool,
    /// TR IDs by environment, plus documented aliases.
    pub tr_ids: TrIdsEntry,
    /// Whether it is paginated.
    pub paginated: bool,
}

/// TR IDs of an entry.
#[derive(Debug, Serialize)]
pub struct TrIdsEntry {
    /// Real-environment IDs.
    pub real: Vec<String>,
    /// Demo-environment IDs.
    pub demo: Vec<String>,
    /// Other documented IDs.
    pub aliases: Vec<String>,
}

impl Report {
    /// Builds the report of a validated catalog.
    pub fn new(catalog: &Catalog) -> Report {
        let mut by_group = BTreeMap::new();
        let mut value_types = BTreeMap::new();
        let mut judged = Vec::new();
        let mut explicit_types = 0;
        let mut entries = Vec::new();
        for e in &catalog.endpoints {
            *by_group.entry(e.group.clone()).or_insert(0) += 1;
            let fields = e
                .response
                .body
                .iter()
                .chain(e.response.blocks.iter().flat_map(|b| b.fields.iter()))
                .chain(e.realtime.iter().flat_map(|r| r.columns.iter()));
            for f in fields {
                *value_types.entry(f.ty.name().to_string()).or_insert(0) += 1;
                explicit_types += usize::from(f.explicit_type);
            }
            for b in &e.response.blocks {
                if b.judged {
                    judged.push(format!("{}.{}", e.qualified_id, b.wire));
                }
            }
            let mut tr = TrIdsEntry {
                real: vec![],
                demo: vec![],
                aliases: vec![],
            };
            for v in &e.tr.variants {
                tr.real.push(v.real.clone());
                tr.demo.extend(v.demo.clone());
                tr.aliases.extend(v.aliases.iter().map(|a| a.tr_id.clone()));
            }
            entries.push(Entry {
                id: e.qualified_id.clone(),
                group: e.group.clone(),
                name: e.name.clone(),
                method: match (e.kind, e.method) {
                    (EndpointKind::WebSocket, _) => "WS".to_string(),
                    (_, Some(m)) => m.name().to_string(),
                    (_, None) => String::new(),
                },
                path: e.path.clone(),
                demo: e.demo,
                tr_ids: tr,
                paginated: e.is_paginated(),
            });
        }
        Report {
            endpoints: catalog.endpoints.len(),
            by_group,
            demo: catalog.endpoints.iter().filter(|e| e.demo).count(),
            websocket: catalog
                .endpoints
                .iter()
                .filter(|e| e.kind == EndpointKind::WebSocket)
                .count(),
            rest: catalog
                .endpoints
                .iter()
                .filter(|e| e.kind != EndpointKind::WebSocket)
                .count(),
            paginated: catalog
                .endpoints
                .iter()
                .filter(|e| e.is_paginated())
                .count(),
            judged_blocks: judged.len(),
            judged,
            value_types,
            explicit_types,
            table_rows: catalog.endpoints.iter().map(|e| e.table_rows.len()).sum(),
            fixes: catalog.endpoints.iter().map(|e| e.fixes.len()).sum(),
            audit: Audit::new(catalog),
            entries,
        }
    }

    /// The human-readable summary.
    pub fn to_text(&self, catalog: &Catalog) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "catalog: {} endpoints ({} REST incl. auth, {} WebSocket)",
            self.endpoints, self.rest, self.websocket
        );
        let _ = writeln!(
            s,
            "demo (모의투자) serves {} of them; {} are paginated",
            self.demo, self.paginated
        );
        let _ = writeln!(
            s,
            "KIS API table rows mapped: {}; recorded source fixes: {}",
            self.table_rows, self.fixes
        );
        let _ = write!(
            s,
            "requests: {}",
            crate::surface::request_type_counts(catalog).replace('\n', "; ")
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>6} {:>5} {:>5}  name",
            "group", "endpoints", "demo", "ws", "pages"
        );
        for g in &catalog.groups {
            let eps: Vec<_> = catalog.endpoints_of(&g.id).collect();
            let _ = writeln!(
                s,
                // The Korean name goes last: its display width is not its char count.
                "{:<22} {:>9} {:>6} {:>5} {:>5}  {}",
                g.id,
                eps.len(),
                eps.iter().filter(|e| e.demo).count(),
                eps.iter()
                    .filter(|e| e.kind == EndpointKind::WebSocket)
                    .count(),
                eps.iter().filter(|e| e.is_paginated()).count(),
                g.name
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "value types of response fields and columns ({} set explicitly):",
            self.explicit_types
        );
        for (t, n) in &self.value_types {
            let _ = writeln!(s, "  {t:<10} {n:>6}");
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "blocks whose split is a judgement ({}):",
            self.judged_blocks
        );
        for j in &self.judged {
            let _ = writeln!(s, "  {j}");
        }
        let a = &self.audit;
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "audit: {} findings, {} with a recorded reason, {} open",
            a.findings, a.accepted, a.open
        );
        for (check, c) in &a.by_check {
            let _ = writeln!(
                s,
                "  {check:<22} {:>4} findings {:>4} accepted",
                c.findings, c.accepted
            );
        }
        for f in a.list.iter().filter(|f| f.reason.is_none()) {
            let _ = writeln!(
                s,
                "  open {}: {} {}: {}",
                f.check.name(),
                f.endpoint,
                f.place,
                f.detail
            );
        }
        s
    }
}
