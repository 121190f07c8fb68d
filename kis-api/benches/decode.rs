//! REST decode: a 100-row daily chart and a 50-row balance decoded into the generated types, against
//! `serde_json::Value` on the same bytes.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kis_api::decode::{DecodeCx, decode_body};
use kis_api::domestic_stock::{inquire_balance, inquire_daily_itemchartprice};
use kis_api::runtime::Endpoint;

/// A KIS-shaped body: every value a string, as KIS sends them.
fn chart_body(rows: usize) -> Vec<u8> {
    let mut out = String::from(
        r#"{"output1":{"prdy_vrss":"-300","prdy_vrss_sign":"5","prdy_ctrt":"-0.42","stck_prdy_clpr":"71900","acml_vol":"10532174","acml_tr_pbmn":"754316290300","hts_kor_isnm":"삼성전자","stck_prpr":"71600","stck_shrn_iscd":"005930","prdy_vol":"12913424","stck_mxpr":"93400","stck_llam":"50400","stck_oprc":"71800","stck_hgpr":"72100","stck_lwpr":"71300","stck_prdy_oprc":"72000","stck_prdy_hgpr":"72400","stck_prdy_lwpr":"71600","askp":"71700","bidp":"71600","prdy_vrss_vol":"-2381250","vol_tnrt":"0.18","stck_fcam":"100","lstn_stcn":"5969782550","cpfn":"7780","hts_avls":"4274364","per":"15.35","eps":"4665.00","pbr":"1.31","itewhol_loan_rmnd_ratem":"0.12"},"output2":["#,
    );
    for i in 0..rows {
        if i > 0 {
            out.push(',');
        }
        let close = 71_000 + (i as i64 * 37) % 2_000;
        out.push_str(&format!(
            r#"{{"stck_bsop_date":"2024{:02}{:02}","stck_clpr":"{close}","stck_oprc":"{}","stck_hgpr":"{}","stck_lwpr":"{}","acml_vol":"{}","acml_tr_pbmn":"{}","flng_cls_code":"00","prtt_rate":"0.00","mod_yn":"N","prdy_vrss_sign":"2","prdy_vrss":"+{}","revl_issu_reas":""}}"#,
            1 + (i / 28) % 12,
            1 + i % 28,
            close - 100,
            close + 300,
            close - 400,
            9_000_000 + i * 1_013,
            650_000_000_000u64 + i as u64 * 997,
            (i % 9) * 100
        ));
    }
    out.push_str(r#"],"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다."}"#);
    out.into_bytes()
}

fn balance_body(rows: usize) -> Vec<u8> {
    let mut out = String::from(
        r#"{"ctx_area_fk100":"50012345^01^N^N^02^01^N^N                                                      ","ctx_area_nk100":"                                                                                                    ","output1":["#,
    );
    for i in 0..rows {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"pdno":"{:06}","prdt_name":"종목{i}","trad_dvsn_name":"현금","bfdy_buy_qty":"0","bfdy_sll_qty":"0","thdt_buyqty":"{}","thdt_sll_qty":"0","hldg_qty":"{}","ord_psbl_qty":"{}","pchs_avg_pric":"{}.5000","pchs_amt":"{}","prpr":"{}","evlu_amt":"{}","evlu_pfls_amt":"-{}","evlu_pfls_rt":"-1.25","evlu_erng_rt":"0.00000000","loan_dt":"","loan_amt":"0","stln_slng_chgs":"0","expd_dt":"","fltt_rt":"+0.42000000","bfdy_cprs_icdc":"300","item_mgna_rt_name":"20%","grta_rt_name":"","sbst_pric":"56880","stck_loan_unpr":"0.0000"}}"#,
            5930 + i,
            i % 7,
            10 + i,
            10 + i,
            70_000 + i,
            700_000 + i * 10,
            71_000 + i,
            710_000 + i * 10,
            i * 13
        ));
    }
    out.push_str(r#"],"output2":[{"dnca_tot_amt":"12500000","nxdy_excc_amt":"12400000","prvs_rcdl_excc_amt":"12300000","cma_evlu_amt":"0","bfdy_buy_amt":"0","thdt_buy_amt":"710000","nxdy_auto_rdpt_amt":"0","bfdy_sll_amt":"0","thdt_sll_amt":"0","d2_auto_rdpt_amt":"0","bfdy_tlex_amt":"0","thdt_tlex_amt":"106","tot_loan_amt":"0","scts_evlu_amt":"35500000","tot_evlu_amt":"47800000","nass_amt":"47800000","fncg_gld_auto_rdpt_yn":"","pchs_amt_smtl_amt":"35000000","evlu_amt_smtl_amt":"35500000","evlu_pfls_smtl_amt":"500000","tot_stln_slng_chgs":"0","bfdy_tot_asst_evlu_amt":"47300000","asst_icdc_amt":"500000","asst_icdc_erng_rt":"1.05708245"}],"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다.                                                          "}"#);
    out.into_bytes()
}

fn bench<E: Endpoint>(c: &mut Criterion, name: &str, body: &[u8], rows: u64) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(rows));
    // check once that the bytes decode, so the benchmark measures a successful decode
    let cx = DecodeCx::new("BENCH", E::META);
    if let Err(e) = decode_body::<E::Response>(body, &cx) {
        panic!("the benchmark body does not decode: {e}");
    }
    g.bench_function("typed", |b| {
        b.iter(|| {
            let cx = DecodeCx::new("BENCH", E::META);
            black_box(
                decode_body::<E::Response>(black_box(body), &cx)
                    .map(|(_, r)| r)
                    .ok(),
            )
        })
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(body)).ok()))
    });
    g.finish();
}

fn decode(c: &mut Criterion) {
    bench::<inquire_daily_itemchartprice::Request>(
        c,
        "rest_decode/daily_chart_100_rows",
        &chart_body(100),
        100,
    );
    bench::<inquire_balance::Request>(c, "rest_decode/balance_50_rows", &balance_body(50), 50);
}

criterion_group!(benches, decode);
criterion_main!(benches);
