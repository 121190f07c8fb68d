//! The requests kis-mock recorded (`--record`), and how their keys differ from what our client
//! sends for the same endpoint (every request field of the catalog, in catalog spelling).

use std::collections::{BTreeMap, BTreeSet};

use kis_codegen::model::{Catalog, Endpoint, EndpointKind};

/// One recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) path: String,
    pub(crate) tr_id: String,
    pub(crate) status: u16,
    /// (key as sent, value as recorded).
    pub(crate) inputs: Vec<(String, String)>,
}

/// Parses one line of a `--record` file; `None` for a line that is not one.
pub(crate) fn parse_line(line: &str) -> Option<Request> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let inputs = v
        .get("inputs")?
        .as_array()?
        .iter()
        .map(|pair| {
            let a = pair.as_array()?;
            Some((
                a.first()?.as_str()?.to_string(),
                a.get(1)?.as_str()?.to_string(),
            ))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Request {
        path: s("path")?,
        tr_id: s("tr_id")?,
        status: u16::try_from(v.get("status")?.as_u64()?).ok()?,
        inputs,
    })
}

/// The catalog endpoint a request was for: by path, and by TR ID when a path serves several.
pub(crate) fn endpoint_of<'c>(catalog: &'c Catalog, r: &Request) -> Option<&'c Endpoint> {
    let on_path: Vec<&Endpoint> = catalog
        .endpoints
        .iter()
        .filter(|e| e.kind == EndpointKind::Rest && e.path == r.path)
        .collect();
    let knows = |e: &&Endpoint| {
        e.tr.variants.iter().any(|v| {
            v.real == r.tr_id
                || v.demo.as_deref() == Some(r.tr_id.as_str())
                || v.aliases.iter().any(|a| a.tr_id == r.tr_id)
        })
    };
    on_path
        .iter()
        .copied()
        .find(knows)
        .or_else(|| on_path.first().copied())
}

/// How the keys of an endpoint's recorded requests differ from the catalog's request fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyDiff {
    /// Sent by the example, not a catalog field (our client does not send it).
    pub(crate) only_example: BTreeSet<String>,
    /// A catalog field (our client sends it) the example did not send.
    pub(crate) only_client: BTreeSet<String>,
    /// (example spelling, catalog spelling) of keys that differ only in case.
    pub(crate) case: BTreeSet<(String, String)>,
}

impl KeyDiff {
    pub(crate) fn is_empty(&self) -> bool {
        self.only_example.is_empty() && self.only_client.is_empty() && self.case.is_empty()
    }
}

/// Differences per endpoint (`group.id`), over every recorded request; requests to paths the
/// catalog does not serve are listed under `unknown path <path>`.
pub(crate) fn compare(catalog: &Catalog, requests: &[Request]) -> BTreeMap<String, KeyDiff> {
    let mut out: BTreeMap<String, KeyDiff> = BTreeMap::new();
    for r in requests {
        let Some(ep) = endpoint_of(catalog, r) else {
            let d = out.entry(format!("unknown path {}", r.path)).or_default();
            d.only_example
                .extend(r.inputs.iter().map(|(k, _)| k.clone()));
            continue;
        };
        let d = out.entry(ep.qualified_id.clone()).or_default();
        for (k, _) in &r.inputs {
            match ep.request.iter().find(|f| f.wire.eq_ignore_ascii_case(k)) {
                None => {
                    d.only_example.insert(k.clone());
                }
                Some(f) if f.wire != *k => {
                    d.case.insert((k.clone(), f.wire.clone()));
                }
                Some(_) => {}
            }
        }
        for f in &ep.request {
            if !r
                .inputs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(&f.wire))
            {
                d.only_client.insert(f.wire.clone());
            }
        }
    }
    out.retain(|_, d| !d.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        kis_codegen::load_catalog(&crate::workspace_root().join("spec"))
            .unwrap_or_else(|d| panic!("{d}"))
    }

    #[test]
    fn record_lines_parse_and_junk_does_not() {
        let l = r#"{"method":"GET","path":"/p","tr_id":"T","tr_cont":"","status":200,"inputs":[["A",""],["b","1"]]}"#;
        let r = parse_line(l).unwrap_or_else(|| panic!("not parsed"));
        assert_eq!(r.status, 200);
        assert_eq!(
            r.inputs,
            vec![("A".into(), "".into()), ("b".into(), "1".into())]
        );
        assert_eq!(parse_line("{"), None);
        assert_eq!(
            parse_line(r#"{"path":"/p","tr_id":"T","status":200,"inputs":[[1,2]]}"#),
            None
        );
    }

    #[test]
    fn keys_are_compared_with_the_catalog_fields() {
        let c = catalog();
        let ep = c
            .endpoints
            .iter()
            .find(|e| e.qualified_id == "overseas_stock.price")
            .unwrap_or_else(|| panic!("overseas_stock.price missing"));
        // the example sends EXCD in lower case, an extra key, and not SYMB
        let r = Request {
            path: ep.path.clone(),
            tr_id: ep.tr.variants[0].real.clone(),
            status: 200,
            inputs: vec![
                ("AUTH".into(), "".into()),
                ("excd".into(), "NAS".into()),
                ("EXTRA".into(), "1".into()),
            ],
        };
        let diffs = compare(&c, std::slice::from_ref(&r));
        let d = &diffs["overseas_stock.price"];
        assert_eq!(d.only_example, BTreeSet::from(["EXTRA".to_string()]));
        assert_eq!(d.only_client, BTreeSet::from(["SYMB".to_string()]));
        assert_eq!(
            d.case,
            BTreeSet::from([("excd".to_string(), "EXCD".to_string())])
        );

        // the same keys as the catalog: no difference
        let same = Request {
            inputs: ep
                .request
                .iter()
                .map(|f| (f.wire.clone(), String::new()))
                .collect(),
            ..r.clone()
        };
        assert!(compare(&c, &[same]).is_empty());

        let unknown = Request {
            path: "/nowhere".into(),
            ..r
        };
        assert!(compare(&c, &[unknown]).contains_key("unknown path /nowhere"));
    }
}
