//! `kis watch <TR> <key>...`: realtime records, named by the catalog's columns, until Ctrl-C,
//! `--count` records or `--seconds`.

use std::time::Duration;

use clap::Args;
use kis_api::EndpointMeta;
use kis_api::decode::TypedValue;
use kis_api::meta::{EndpointKind, FieldMeta, ValueType};
use unicode_width::UnicodeWidthStr;

use crate::catalog;
use crate::feed::{Feed, StartError};
use crate::render::{Align, align_for, clean, pad_row};
use crate::target::{self, Target};
use crate::{ConnArgs, Failure};

/// Columns shown when `--fields` is not given.
const DEFAULT_COLUMNS: usize = 8;

/// Arguments of `kis watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Realtime TR ID (H0STCNT0) or endpoint id (domestic_stock.ccnl_krx)
    pub tr: String,
    /// Subscription keys: product codes such as 005930
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,
    /// Stop after this many records
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,
    /// Stop this many seconds after the command starts (connecting and subscribing included)
    #[arg(long, value_name = "S")]
    pub seconds: Option<u64>,
    /// One JSON object per record (every column, or --fields)
    #[arg(long)]
    pub json: bool,
    /// Korean labels as column headers instead of wire names
    #[arg(long)]
    pub labels: bool,
    /// Columns to show (comma-separated wire names or labels) [default: the first 8]
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub fields: Vec<String>,
}

/// The realtime TR named by `query` (endpoint id or TR ID); REST endpoints and encrypted
/// execution notices are refused.
pub fn realtime_meta(query: &str) -> Result<&'static EndpointMeta, Failure> {
    let m = catalog::find(query)?;
    if m.kind != EndpointKind::WebSocket {
        return Err(Failure::usage(format!(
            "{} ({}) is a REST endpoint; call it with `kis call {}`",
            m.id, m.name, m.id
        )));
    }
    if m.encrypted {
        return Err(Failure::usage(format!(
            "{} ({}) sends execution notices, which carry the account number, so `kis watch` \
             does not print them; the library's `Session::subscribe_notices` delivers them \
             decrypted and typed",
            m.id, m.name
        )));
    }
    Ok(m)
}

/// Indexes into `meta.columns` of the columns to show.
fn selected_columns(meta: &EndpointMeta, args: &WatchArgs) -> Result<Vec<usize>, Failure> {
    if args.fields.is_empty() {
        let n = if args.json {
            meta.columns.len()
        } else {
            DEFAULT_COLUMNS.min(meta.columns.len())
        };
        return Ok((0..n).collect());
    }
    let columns: Vec<_> = meta.columns.iter().collect();
    args.fields
        .iter()
        .map(|w| catalog::field_position(meta, &columns, w, "column"))
        .collect()
}

/// Runs `kis watch`.
pub async fn run(conn: &ConnArgs, args: WatchArgs) -> Result<(), Failure> {
    // --seconds counts from here: a server that never confirms a subscription (or keeps
    // dropping the connection) cannot keep the command running
    let deadline = args.seconds.and_then(deadline_after);
    let meta = realtime_meta(&args.tr)?;
    let columns = selected_columns(meta, &args)?;
    if args.keys.iter().any(|k| k.trim().is_empty()) {
        return Err(Failure::usage("a subscription key must not be empty"));
    }
    let target = target::connect(conn).await?;
    let result = stream(&target, meta, &columns, &args, deadline).await;
    target.shutdown().await;
    result
}

/// `seconds` from now; `None` when that is beyond what the clock can represent (no deadline:
/// `--seconds 18446744073709551615` means "until stopped").
fn deadline_after(seconds: u64) -> Option<tokio::time::Instant> {
    tokio::time::Instant::now().checked_add(Duration::from_secs(seconds))
}

async fn stream(
    target: &Target,
    meta: &'static EndpointMeta,
    columns: &[usize],
    args: &WatchArgs,
    deadline: Option<tokio::time::Instant>,
) -> Result<(), Failure> {
    let keys: Vec<&str> = args.keys.iter().map(|k| k.trim()).collect();
    let started = Feed::open(
        &target.client,
        meta,
        &keys,
        deadline,
        tokio::signal::ctrl_c,
        |sub| eprintln!("kis: subscribed to {} {}", sub.tr_id(), clean(sub.key())),
    )
    .await;
    let mut feed = match started {
        Ok(feed) => feed,
        Err(StartError::Stopped) => return Ok(()),
        Err(StartError::TimeUp(what)) => {
            return Err(Failure::Runtime(format!(
                "--seconds {}: time ran out before {what}",
                args.seconds.unwrap_or_default()
            )));
        }
        Err(StartError::Failed(f)) => return Err(f),
    };
    let printer = Printer::new(meta.columns, columns, args);
    let mut header_printed = false;
    let outcome = feed
        .records(
            args.count,
            deadline,
            tokio::signal::ctrl_c,
            |tr_id, values| {
                if !header_printed && !args.json {
                    outln!("{}", printer.header());
                    header_printed = true;
                }
                outln!("{}", printer.line(tr_id, values));
            },
            |warning| eprintln!("kis: warning: {warning}"),
        )
        .await;
    let tr_id = feed.tr_id();
    feed.close().await;
    let seen = outcome.map_err(Failure::Runtime)?;
    eprintln!("kis: {seen} record(s) of {tr_id}");
    Ok(())
}

/// Formats records: aligned columns, or JSON lines.
struct Printer {
    names: Vec<String>,
    wires: Vec<&'static str>,
    align: Vec<Align>,
    types: Vec<ValueType>,
    widths: Vec<usize>,
    indexes: Vec<usize>,
    columns: Vec<&'static FieldMeta>,
    json: bool,
}

impl Printer {
    fn new(all: &'static [FieldMeta], indexes: &[usize], args: &WatchArgs) -> Printer {
        let cols: Vec<&'static FieldMeta> = indexes.iter().filter_map(|&i| all.get(i)).collect();
        let names: Vec<String> = cols
            .iter()
            .map(|c| {
                if args.labels {
                    c.label.to_string()
                } else {
                    c.wire.to_string()
                }
            })
            .collect();
        let widths = names
            .iter()
            .map(|n| UnicodeWidthStr::width(n.as_str()).max(8))
            .collect();
        Printer {
            wires: cols.iter().map(|c| c.wire).collect(),
            align: cols.iter().map(|c| align_for(c.ty)).collect(),
            types: cols.iter().map(|c| c.ty).collect(),
            names,
            widths,
            indexes: indexes.to_vec(),
            columns: cols.clone(),
            json: args.json,
        }
    }

    fn cells<'a>(&self, names: impl Iterator<Item = &'a str>) -> String {
        let cleaned: Vec<String> = names.map(clean).collect();
        pad_row(
            cleaned.iter().map(String::as_str),
            &self.widths,
            &self.align,
        )
    }

    fn header(&self) -> String {
        self.cells(self.names.iter().map(String::as_str))
    }

    fn line(&self, tr_id: &str, record: &[&str]) -> String {
        let values = self
            .indexes
            .iter()
            .map(|&i| record.get(i).copied().unwrap_or("").trim());
        if self.json {
            // values by the catalog's types, written as the library's `Serialize` writes them
            let raw: Vec<&str> = values.collect();
            let record = crate::export::record(&self.columns, |w| {
                let at = self.wires.iter().position(|x| *x == w)?;
                raw.get(at).map(|v| v.to_string())
            });
            let line = crate::export::Node::Map(vec![
                (
                    "tr_id",
                    crate::export::Node::Value(TypedValue::Text(tr_id.to_string())),
                ),
                ("record", record),
            ]);
            return serde_json::to_string(&line).unwrap_or_default();
        }
        let shown: Vec<String> = values
            .zip(&self.types)
            .map(|(v, ty)| display(v, *ty))
            .collect();
        self.cells(shown.iter().map(String::as_str))
    }
}

/// Times as `HH:MM:SS` and dates as `YYYY-MM-DD` for reading; anything else as sent.
fn display(v: &str, ty: ValueType) -> String {
    let digits = v.bytes().all(|b| b.is_ascii_digit());
    match ty {
        ValueType::Time if digits && v.len() == 6 => {
            format!("{}:{}:{}", &v[..2], &v[2..4], &v[4..])
        }
        ValueType::Date if digits && v.len() == 8 => {
            format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..])
        }
        _ => v.to_string(),
    }
}
