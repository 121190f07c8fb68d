//! A WebSocket endpoint's realtime part: encryption, the subscription key and the columns.

use super::Ctx;
use super::fields::build_fields;
use crate::files;
use crate::model::{Common, Realtime, TrKey, TrKeyMeaning};

/// Validates `encrypted`, `tr_key` and `columns`; `None` when one is missing.
pub(super) fn build_realtime(
    f: &files::EndpointFile,
    common: &Common,
    ctx: &mut Ctx,
) -> Option<Realtime> {
    let Some(enc) = f.encrypted else {
        ctx.err_line(
            "encrypted",
            None,
            "a websocket endpoint says whether frames are `encrypted`",
        );
        return None;
    };
    let Some(k) = &f.tr_key else {
        ctx.err_line(
            "tr_key",
            None,
            "a websocket endpoint describes its `tr_key`",
        );
        return None;
    };
    let meaning = ctx
        .closed_set(
            "tr_key.meaning",
            &k.meaning,
            "tr_key meaning",
            TrKeyMeaning::parse,
            TrKeyMeaning::ALL,
        )
        .unwrap_or(TrKeyMeaning::Symbol);
    let Some(cols) = &f.columns else {
        ctx.err_line("columns", None, "a websocket endpoint lists its `columns`");
        return None;
    };
    if cols.is_empty() {
        ctx.err_line(
            "columns",
            None,
            "a websocket endpoint has at least one column",
        );
    }
    let columns = build_fields(cols, "columns", &common.response_rules, common, ctx);
    Some(Realtime {
        encrypted: enc,
        tr_key: TrKey {
            meaning,
            label: k.label.clone(),
            example: k.example.clone(),
        },
        columns,
    })
}
