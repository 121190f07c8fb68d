//! One endpoint's plan: the REST plan (TR IDs, input checks, page keys, order inputs), its
//! auth role, or its realtime plan.

use kis_catalog::ValueType;
use kis_catalog::model::{Common, Endpoint, Method, RequestField, ResponseKey, TrKeyMeaning};

use super::field_roles::{block_plan, field_plan, is_product_input, stem};
use super::{
    AuthRole, BlockKind, BlockPlan, FieldPlan, InputPlan, OrderInputs, PageKeyPlan, RestPlan, Role,
    StateRole, WsPlan,
};
use crate::values::{PriceStyle, fnv};

/// The values KIS accepts for a field, where the catalog knows the set is closed: a field
/// typed with a `common.yaml` enum takes its members (and the field's own listed values). A
/// plain `values:` list documents examples and is not checked.
fn checkable_values(f: &RequestField, common: &Common) -> Option<Vec<String>> {
    let en = common.code_enum(f.enum_name.as_deref()?)?;
    let mut vals: Vec<String> = en.members.iter().map(|m| m.value.clone()).collect();
    for v in &f.values {
        if !vals.contains(&v.value) {
            vals.push(v.value.clone());
        }
    }
    Some(vals)
}

fn key_width(f: &RequestField) -> usize {
    if let Some(m) = f.max_length {
        return m as usize;
    }
    let digits: String = f
        .wire
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().unwrap_or(100)
}

fn demo_like(tr: &str) -> bool {
    tr.starts_with('V')
}

pub(super) fn rest_plan(ep: &Endpoint, common: &Common) -> RestPlan {
    let salt = fnv(ep.qualified_id.as_bytes());
    let mut tr_real = Vec::new();
    let mut tr_demo = Vec::new();
    for (i, v) in ep.tr.variants.iter().enumerate() {
        tr_real.push((v.real.clone(), i));
        if let Some(d) = &v.demo {
            tr_demo.push((d.clone(), i));
        }
        let real_is_demo_like = demo_like(&v.real);
        for a in &v.aliases {
            if demo_like(&a.tr_id) && !real_is_demo_like {
                tr_demo.push((a.tr_id.clone(), i));
            } else {
                tr_real.push((a.tr_id.clone(), i));
            }
        }
    }
    let inputs: Vec<InputPlan> = ep
        .request
        .iter()
        .map(|f| InputPlan {
            upper: f.wire.to_ascii_uppercase(),
            required: f.required,
            empty_ok: f.empty || f.paging || f.default.as_deref() == Some(""),
            values: checkable_values(f, common),
        })
        .collect();
    let allow_blank = !ep.mutates;
    let mut blocks: Vec<BlockPlan> = ep
        .response
        .blocks
        .iter()
        .map(|b| block_plan(b, &ep.request, salt, allow_blank))
        .collect();
    let mut body: Vec<FieldPlan> = ep
        .response
        .body
        .iter()
        .map(|f| field_plan(f, &ep.request, salt, allow_blank, false))
        .collect();
    let mut paging = Vec::new();
    if let Some(p) = &ep.pagination {
        for key in &p.keys {
            let Some(input) = ep.request.iter().position(|r| r.wire == key.request) else {
                continue;
            };
            let width = key_width(&ep.request[input]);
            match &key.response {
                ResponseKey::Body(name) => {
                    if let Some(f) = body.iter_mut().find(|f| &f.wire == name) {
                        f.role = Role::PageKey(paging.len());
                        f.blank = false;
                    }
                }
                ResponseKey::InBlock { block, field } => {
                    let Some(bi) = blocks.iter().position(|b| &b.wire == block) else {
                        continue;
                    };
                    if let Some(f) = blocks[bi].fields.iter_mut().find(|f| &f.wire == field) {
                        f.role = Role::PageKey(paging.len());
                        f.blank = false;
                    }
                }
            }
            paging.push(PageKeyPlan {
                input,
                width,
                request: key.request.clone(),
            });
        }
    }
    let next_values: Vec<(usize, String)> = ep
        .pagination
        .iter()
        .flat_map(|p| p.next_values.iter())
        .filter_map(|(req, value)| {
            ep.request
                .iter()
                .position(|r| &r.wire == req)
                .map(|i| (i, value.clone()))
        })
        .collect();
    let has_holdings = blocks.iter().any(|b| b.kind == BlockKind::Holdings);
    if has_holdings {
        for b in &mut blocks {
            if b.kind == BlockKind::Generic
                && b.fields.iter().any(|f| {
                    matches!(
                        f.state,
                        Some(StateRole::TotPurchase | StateRole::TotEval | StateRole::TotPnl)
                    )
                })
            {
                b.kind = BlockKind::Totals;
            }
        }
    }
    let pos = |pred: &dyn Fn(&str) -> bool| {
        ep.request
            .iter()
            .position(|f| pred(&f.wire.to_ascii_uppercase()))
    };
    let account = pos(&|u| u == "CANO");
    let order = OrderInputs {
        account,
        product_code: pos(&|u| u == "ACNT_PRDT_CD"),
        product: pos(&is_product_input),
        qty: pos(&|u| stem(u).ends_with("ORD_QTY")),
        price: ep
            .request
            .iter()
            .position(|f| f.ty == ValueType::Price)
            .or_else(|| {
                pos(&|u| u.contains("UNPR") || u == "UNIT_PRICE" || u.contains("LIMIT_ORD_PRIC"))
            }),
        side: pos(&|u| u == "SLL_BUY_DVSN_CD"),
        ord_dvsn: pos(&|u| u == "ORD_DVSN" || u == "ORD_DVSN_CD"),
        orig_odno: pos(&|u| u == "ORGN_ODNO"),
        rvse_cncl: pos(&|u| u == "RVSE_CNCL_DVSN_CD"),
        qty_all: pos(&|u| u == "QTY_ALL_ORD_YN"),
        market_values: Vec::new(),
    };
    let mut order = order;
    if let Some(i) = order.ord_dvsn {
        order.market_values = ep.request[i]
            .values
            .iter()
            .filter(|v| v.label.as_deref().is_some_and(|l| l.contains("시장가")))
            .map(|v| v.value.clone())
            .collect();
    }
    let stateful = !ep.mutates
        && account.is_some()
        && blocks
            .iter()
            .any(|b| matches!(b.kind, BlockKind::Orders { .. } | BlockKind::Holdings));
    let end_date_input = ep.request.iter().position(|f| {
        let u = f.wire.to_ascii_uppercase();
        (u.contains("END") && (u.contains("DT") || u.contains("DATE"))) || u.ends_with("DATE_2")
    });
    let first_tr = ep
        .tr
        .variants
        .first()
        .map(|v| v.real.as_str())
        .unwrap_or("");
    RestPlan {
        qualified_id: ep.qualified_id.clone(),
        group: ep.group.clone(),
        method: ep.method.unwrap_or(Method::Get),
        demo_ok: ep.demo,
        tr_real,
        tr_demo,
        variants: ep.tr.variants.iter().map(|v| v.name.clone()).collect(),
        inputs,
        paging,
        next_values,
        body,
        blocks,
        mutates: ep.mutates,
        order,
        style: PriceStyle::for_group(&ep.group),
        end_date_input,
        stateful,
        salt,
        quote: first_tr.starts_with('F') || first_tr.starts_with('H'),
    }
}

pub(super) fn auth_role(ep: &Endpoint) -> Option<AuthRole> {
    let body_has = |n: &str| {
        ep.response
            .body
            .iter()
            .any(|f| f.wire.eq_ignore_ascii_case(n))
    };
    let req_has = |n: &str| ep.request.iter().any(|f| f.wire.eq_ignore_ascii_case(n));
    if body_has("access_token") {
        Some(AuthRole::Token)
    } else if body_has("approval_key") {
        Some(AuthRole::Approval)
    } else if body_has("hash") {
        Some(AuthRole::Hashkey)
    } else if req_has("token") {
        Some(AuthRole::Revoke)
    } else {
        None
    }
}

pub(super) fn ws_plan(ep: &Endpoint) -> Option<WsPlan> {
    let rt = ep.realtime.as_ref()?;
    let salt = fnv(ep.qualified_id.as_bytes());
    let v = ep.tr.variants.first();
    let columns = rt
        .columns
        .iter()
        .map(|c| {
            let mut p = field_plan(c, &[], salt, false, false);
            if p.role == Role::Value && p.ty == ValueType::Time {
                p.role = Role::SeqTime;
            }
            p
        })
        .collect();
    Some(WsPlan {
        group: ep.group.clone(),
        real: v.map(|v| v.real.clone()),
        demo: v.and_then(|v| v.demo.clone()),
        demo_ok: ep.demo,
        encrypted: rt.encrypted,
        hts_key: rt.tr_key.meaning == TrKeyMeaning::HtsId,
        columns,
        style: PriceStyle::for_group(&ep.group),
        salt,
    })
}
