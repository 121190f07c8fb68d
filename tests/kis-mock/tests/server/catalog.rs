//! Every REST endpoint of the catalog answers a well-formed request with `rt_cd` "0" and a body
//! carrying every block and field with the right JSON kind and value shape; in demo mode,
//! real-only endpoints are refused with `MCA00124`.

use crate::common::{Kis, schema_problems, tr_of, well_formed};
use kis_mock::{MockConfig, OrderStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rest_endpoint_answers_schema_valid() {
    let kis = Kis::start(MockConfig::default().with_pages(3, 4)).await;
    let eps = kis.rest_endpoints();
    assert!(eps.len() > 200, "catalog has {} REST endpoints", eps.len());
    let mut failures = Vec::new();
    for ep in &eps {
        let tr = tr_of(ep, false).expect("real TR");
        // modify/cancel endpoints act on an open order of their group placed earlier
        let open = kis
            .control()
            .orders()
            .into_iter()
            .rev()
            .find(|o| {
                o.status == OrderStatus::Open && o.endpoint.starts_with(&format!("{}.", ep.group))
            })
            .map(|o| o.odno);
        let inputs = well_formed(ep, open.as_deref());
        let r = match kis.call(ep, &tr, "", &inputs).await {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", ep.qualified_id));
                continue;
            }
        };
        if r.status != 200 || r.str("/rt_cd") != "0" {
            failures.push(format!("{}: HTTP {} {}", ep.qualified_id, r.status, r.json));
            continue;
        }
        assert_eq!(r.header("tr_id"), Some(tr.as_str()), "{}", ep.qualified_id);
        let cont = r.header("tr_cont").unwrap_or("?");
        let cont_ok = if ep.pagination.is_some() {
            cont == "M" || cont == "D"
        } else {
            cont.is_empty()
        };
        if !cont_ok {
            failures.push(format!("{}: tr_cont {cont:?}", ep.qualified_id));
        }
        for p in schema_problems(ep, &r.json) {
            failures.push(format!("{}: {p}", ep.qualified_id));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // the loop placed orders through the mutating endpoints
    assert!(kis.control().orders().len() >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_demo_endpoints_and_refuses_real_only_ones() {
    let kis = Kis::start(MockConfig::demo()).await;
    let eps = kis.rest_endpoints();
    let mut served = 0;
    let mut refused = 0;
    let mut failures = Vec::new();
    for ep in &eps {
        let inputs = well_formed(ep, None);
        if ep.demo {
            let tr = tr_of(ep, true).expect("demo TR");
            let r = kis.call(ep, &tr, "", &inputs).await.expect("reply");
            // modify/cancel of an order that does not exist is a business error, not a refusal
            let ok = r.str("/rt_cd") == "0" || r.str("/msg_cd") == "APBK0918";
            if !ok {
                failures.push(format!("{}: {} {}", ep.qualified_id, r.status, r.json));
            }
            served += 1;
        } else {
            let tr = tr_of(ep, false).expect("real TR");
            let r = kis.call(ep, &tr, "", &inputs).await.expect("reply");
            if r.status != 500 || r.str("/msg_cd") != "MCA00124" || r.str("/rt_cd") != "1" {
                failures.push(format!(
                    "{} (real-only): {} {}",
                    ep.qualified_id, r.status, r.json
                ));
            }
            refused += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        served > 20 && refused > 100,
        "served {served}, refused {refused}"
    );
}
