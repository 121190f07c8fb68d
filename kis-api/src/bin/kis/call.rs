//! `kis call <endpoint> KEY=value ...`: any REST endpoint through [`kis_api::DynamicRequest`],
//! with the inputs checked against the catalog before anything is sent.

use clap::Args;
use futures_util::StreamExt;
use kis_api::decode::UnrecognizedKind;
use kis_api::meta::{BlockMeta, EndpointKind, Shape};
use kis_api::{DynamicReply, DynamicRequest, EndpointMeta, Env};
use serde_json::Value;

use crate::catalog;
use crate::export;
use crate::inputs::build_request;
use crate::render::{Align, Table, align_for, clean, heading, key_values};
use crate::target::{self, Target, korean};
use crate::{ConnArgs, Failure};

/// Arguments of `kis call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Endpoint id (domestic_stock.inquire_price), its last part, a TR ID or the Korean name
    pub endpoint: String,
    /// Inputs as KEY=value: wire names in any case (or the Korean label); a known value may be
    /// given by its label (ORD_DVSN=시장가)
    #[arg(value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
    /// TR ID variant, for endpoints with several (buy/sell, day/night, ...)
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// Follow pagination to the last page
    #[arg(long)]
    pub all: bool,
    /// Print KIS's response body as JSON (with --all on a paginated endpoint: an array of the
    /// pages' bodies)
    #[arg(long)]
    pub json: bool,
    /// Output: table, json (typed values: decimals as exact strings, ISO dates, wire names as
    /// keys) or csv (one row per record of one block)
    #[arg(long, value_enum, default_value = "table", conflicts_with = "json")]
    pub format: export::Format,
    /// The block --format csv writes [default: the only block, else the first list block]
    #[arg(long, value_name = "BLOCK")]
    pub block: Option<String>,
    /// Korean labels as column headers instead of wire names
    #[arg(long)]
    pub labels: bool,
    /// Only these output fields (comma-separated wire names or labels)
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    pub fields: Vec<String>,
    /// Send values outside a closed set of known values, or of the wrong form, anyway
    #[arg(long)]
    pub force: bool,
    /// Allow an order (a state-changing call) in the real environment (실전투자)
    #[arg(long)]
    pub confirm_real_order: bool,
}

/// Runs `kis call`.
pub async fn run(conn: &ConnArgs, args: CallArgs) -> Result<(), Failure> {
    let meta = catalog::find(&args.endpoint)?;
    match meta.kind {
        EndpointKind::Rest => {}
        EndpointKind::WebSocket => {
            return Err(Failure::usage(format!(
                "{} ({}) is a realtime TR; stream it with `kis watch {} <key>`",
                meta.id,
                meta.name,
                meta.variants.first().map(|v| v.real).unwrap_or(meta.id)
            )));
        }
        EndpointKind::Auth => {
            return Err(Failure::usage(format!(
                "{} ({}) is made by the client itself (tokens, approval keys, hashkeys); call any \
                 other endpoint and it happens on the way",
                meta.id, meta.name
            )));
        }
    }
    let request = build_request(meta, &args)?;
    check_fields(meta, &args.fields)?;
    let target = target::connect(conn).await?;
    let result = call(&target, meta, request, &args).await;
    target.shutdown().await;
    let replies = result?;
    if args.json {
        // stdout stays KIS's JSON; what the catalog does not describe is named on stderr
        for (place, what) in unrecognized_notes(&replies) {
            eprintln!("kis: not in the catalog: {place}: {what}");
        }
        let out = if args.all && meta.is_paginated() {
            Value::Array(replies.into_iter().map(|r| r.body).collect())
        } else {
            replies
                .into_iter()
                .next()
                .map(|r| r.body)
                .unwrap_or(Value::Null)
        };
        outln!("{}", catalog::pretty(&out));
    } else if args.format != export::Format::Table {
        for (place, what) in unrecognized_notes(&replies) {
            eprintln!("kis: not in the catalog: {place}: {what}");
        }
        let wanted = |f: &kis_api::meta::FieldMeta| {
            args.fields.is_empty() || args.fields.iter().any(|w| catalog::names_field(f, w))
        };
        if args.format == export::Format::Csv {
            let text = export::csv(meta, &replies, args.block.as_deref(), &wanted, args.labels)?;
            out!("{text}");
        } else {
            let node = export::typed_json(meta, &replies, &wanted);
            let text = serde_json::to_string_pretty(&node).unwrap_or_default();
            outln!("{text}");
        }
    } else {
        out!("{}", render_replies(meta, &replies, &args));
    }
    Ok(())
}

async fn call(
    target: &Target,
    meta: &'static EndpointMeta,
    request: DynamicRequest,
    args: &CallArgs,
) -> Result<Vec<DynamicReply>, Failure> {
    if meta.mutates
        && target.env() == Env::Real
        && !target.is_embedded_mock()
        && !args.confirm_real_order
    {
        return Err(Failure::usage(format!(
            "{} ({}) places or changes a REAL order ({}) at {}; nothing was sent. Add \
             --confirm-real-order to send it, or use --demo (모의투자).",
            meta.id,
            meta.name,
            korean(Env::Real),
            target.client.rest_url()
        )));
    }
    let client = &target.client;
    if args.all && meta.is_paginated() {
        let mut pages = client.call_dynamic_pages(request);
        let mut out = Vec::new();
        while let Some(p) = pages.next().await {
            out.push(p?);
        }
        Ok(out)
    } else {
        if args.all {
            eprintln!("kis: {} is not paginated; --all changes nothing", meta.id);
        }
        let reply = client.call_dynamic(&request).await?;
        if meta.is_paginated() && reply.has_more() {
            eprintln!(
                "kis: more pages follow (tr_cont {}); add --all to fetch them",
                reply.tr_cont
            );
        }
        Ok(vec![reply])
    }
}

/// Every output field of `meta`: top-level fields and block fields.
fn all_fields(meta: &EndpointMeta) -> impl Iterator<Item = &'static kis_api::meta::FieldMeta> {
    meta.body
        .iter()
        .chain(meta.blocks.iter().flat_map(|b| b.fields.iter()))
}

/// `--fields` must name output fields.
fn check_fields(meta: &'static EndpointMeta, wanted: &[String]) -> Result<(), Failure> {
    let fields: Vec<_> = all_fields(meta).collect();
    for w in wanted {
        catalog::field_position(meta, &fields, w, "output field")?;
    }
    Ok(())
}

/// A JSON scalar as display text (KIS sends strings; numbers and booleans are shown as such).
pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The value of field `wire` in an object, its key in any case (as the "other fields" list
/// treats keys, so a key is shown in one of the two).
pub(crate) fn field_in<'v>(
    object: &'v serde_json::Map<String, Value>,
    wire: &str,
) -> Option<&'v Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(wire))
        .map(|(_, v)| v)
}

/// The records of block `b` in one body: an array's items, an object, or none for `""`/`[]`/`{}`.
pub(crate) fn records<'v>(
    body: &'v Value,
    block: &BlockMeta,
) -> Vec<&'v serde_json::Map<String, Value>> {
    let Value::Object(top) = body else {
        return Vec::new();
    };
    let value = top.iter().find_map(|(k, v)| block.is_named(k).then_some(v));
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        Some(Value::Object(o)) if !o.is_empty() => vec![o],
        _ => Vec::new(),
    }
}

/// What the replies hold that the catalog does not describe, as (where, what) pairs: an unknown
/// key with its value, an unreadable value with its type. Pages are named when there are several.
fn unrecognized_notes(replies: &[DynamicReply]) -> Vec<(String, String)> {
    let paged = replies.len() > 1;
    replies
        .iter()
        .enumerate()
        .flat_map(|(page, r)| r.unrecognized.iter().map(move |u| (page, u)))
        .map(|(page, u)| {
            let place = if paged {
                format!("page {}: {}", page + 1, u.path())
            } else {
                u.path()
            };
            let value = u.value().map(scalar).unwrap_or_else(|| "***".to_string());
            let what = match u.kind {
                UnrecognizedKind::Unreadable(ty) => {
                    format!("{value} (not a {} value)", ty.name())
                }
                _ => value,
            };
            (place, clean(&what))
        })
        .collect()
}

/// Replies as text: the message line, top-level fields, then each block as a table (arrays,
/// across pages) or a key/value list (objects, from the last page).
fn render_replies(meta: &EndpointMeta, replies: &[DynamicReply], args: &CallArgs) -> String {
    let mut out = String::new();
    let Some(last) = replies.last() else {
        return out;
    };
    out.push_str(&format!(
        "{} {}  [{} {}{}]\n",
        clean(last.envelope.msg_cd.trim()),
        clean(last.envelope.msg1.trim()),
        meta.id,
        last.tr_id,
        if replies.len() > 1 {
            format!(", {} pages", replies.len())
        } else {
            String::new()
        }
    ));
    let wanted = |f: &kis_api::meta::FieldMeta| {
        args.fields.is_empty() || args.fields.iter().any(|w| catalog::names_field(f, w))
    };
    let name = |f: &kis_api::meta::FieldMeta| {
        if args.labels {
            f.label.to_string()
        } else {
            f.wire.to_string()
        }
    };
    // top-level fields the catalog knows
    let top: Vec<(String, String)> = meta
        .body
        .iter()
        .filter(|f| wanted(f))
        .filter_map(|f| {
            let v = field_in(last.body.as_object()?, f.wire)?;
            Some((name(f), scalar(v)))
        })
        .collect();
    if !top.is_empty() {
        out.push('\n');
        out.push_str(&key_values(&top));
    }
    for b in meta.blocks {
        let fields: Vec<_> = b.fields.iter().filter(|f| wanted(f)).collect();
        if fields.is_empty() {
            continue;
        }
        let rows: Vec<&serde_json::Map<String, Value>> = match b.shape {
            Shape::Array => replies.iter().flat_map(|r| records(&r.body, b)).collect(),
            Shape::Object => records(&last.body, b),
        };
        let value_of = |row: &serde_json::Map<String, Value>, wire: &str| -> String {
            field_in(row, wire).map(scalar).unwrap_or_default()
        };
        match (b.shape, rows.as_slice()) {
            (_, []) => out.push_str(&heading(&format!("{}: empty", b.wire))),
            (Shape::Object, [row]) => {
                out.push_str(&heading(b.wire));
                let pairs: Vec<(String, String)> = fields
                    .iter()
                    .map(|f| (name(f), value_of(row, f.wire)))
                    .collect();
                out.push_str(&key_values(&pairs));
            }
            _ => {
                out.push_str(&heading(&format!(
                    "{} ({} row{})",
                    b.wire,
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                )));
                let mut t = Table::with_columns(
                    fields
                        .iter()
                        .map(|f| (name(f), align_for(f.ty)))
                        .collect::<Vec<(String, Align)>>(),
                );
                for row in &rows {
                    t.row(fields.iter().map(|f| value_of(row, f.wire)).collect());
                }
                out.push_str(&t.render());
            }
        }
    }
    // what the catalog does not describe (keys it does not know, values their types cannot
    // read): shown, not lost
    if args.fields.is_empty() {
        let notes = unrecognized_notes(replies);
        if !notes.is_empty() {
            out.push_str(&heading("not in the catalog"));
            out.push_str(&key_values(&notes));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str) -> &'static EndpointMeta {
        match catalog::find(id) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    fn args(inputs: &[&str]) -> CallArgs {
        CallArgs {
            endpoint: String::new(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            variant: None,
            all: false,
            json: false,
            format: export::Format::Table,
            block: None,
            labels: false,
            fields: Vec::new(),
            force: false,
            confirm_real_order: false,
        }
    }

    #[test]
    fn values_by_label_and_case_are_read_as_codes() {
        let m = meta("domestic_stock.inquire_price");
        let req = build_request(
            m,
            &args(&["fid_cond_mrkt_div_code=krx", "FID_INPUT_ISCD=005930"]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.value("FID_COND_MRKT_DIV_CODE"), Some("J"));
    }

    #[test]
    fn enum_variant_names_are_read_as_codes() {
        let m = meta("domestic_stock.inquire_balance");
        let req = build_request(
            m,
            &args(&[
                "INQR_DVSN=by_symbol",
                "FUND_STTL_ICLD_YN=false",
                "PRCS_DVSN=WithPreviousDay",
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.value("INQR_DVSN"), Some("02"));
        assert_eq!(req.value("FUND_STTL_ICLD_YN"), Some("N"));
        assert_eq!(req.value("PRCS_DVSN"), Some("00"));
        let wire = build_request(
            m,
            &args(&["INQR_DVSN=01", "FUND_STTL_ICLD_YN=Y", "PRCS_DVSN=01"]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wire.value("INQR_DVSN"), Some("01"));
        assert_eq!(wire.value("FUND_STTL_ICLD_YN"), Some("Y"));
    }

    #[test]
    fn closed_sets_refuse_unknown_values_unless_forced() {
        let m = meta("domestic_stock.inquire_price");
        let err = build_request(
            m,
            &args(&["FID_COND_MRKT_DIV_CODE=Q", "FID_INPUT_ISCD=005930"]),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("'Q' is not one of J=KRX"), "{err}");
        let mut forced = args(&["FID_COND_MRKT_DIV_CODE=Q", "FID_INPUT_ISCD=005930"]);
        forced.force = true;
        let req = build_request(m, &forced).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(req.value("FID_COND_MRKT_DIV_CODE"), Some("Q"));
    }

    #[test]
    fn typed_inputs_need_their_form() {
        let m = meta("domestic_stock.order_cash");
        let mut a = args(&[
            "PDNO=005930",
            "ORD_DVSN=00",
            "ORD_QTY=ten",
            "ORD_UNPR=50000",
        ]);
        a.variant = Some("buy".into());
        let err = build_request(m, &a)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("ORD_QTY"), "{err}");
    }

    #[test]
    fn keys_and_values_the_catalog_does_not_describe_are_shown() {
        let m = meta("domestic_stock.inquire_price");
        let body = serde_json::json!({
            "rt_cd": "0", "msg_cd": "MCA00000", "msg1": "ok",
            "new_top": "t",
            "output": {"stck_prpr": "71900", "added_by_kis": "7", "stck_mxpr": "93,400"}
        });
        let reply = DynamicReply {
            envelope: kis_api::Envelope::default(),
            unrecognized: kis_api::decode::unrecognized_in(m, &body),
            body,
            tr_id: "FHKST01010100",
            tr_cont: kis_api::Continuation::default(),
        };
        let text = render_replies(m, std::slice::from_ref(&reply), &args(&[]));
        let notes = text
            .split("not in the catalog")
            .nth(1)
            .unwrap_or_else(|| panic!("no section in {text}"));
        for shown in [
            "new_top",
            "output.added_by_kis",
            "output.stck_mxpr",
            "93,400 (not a price value)",
        ] {
            assert!(notes.contains(shown), "{shown} missing from {text}");
        }
        let pages = unrecognized_notes(&[reply.clone(), reply]);
        assert_eq!(pages.len(), 6);
        assert!(pages[3].0.starts_with("page 2: "), "{pages:?}");
    }
}
