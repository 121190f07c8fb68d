//! `kis call --format csv|json`: records read by the catalog's types, one CSV row per record of
//! a block across pages, typed JSON as the library's `Serialize` writes it.
#![cfg(feature = "cli")]

use std::process::Command;

use serde_json::Value;

/// Runs `kis` against its embedded mock (no credentials, a private home): (code, stdout, stderr).
fn kis(args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_kis"))
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run kis: {e}"));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

const CCLD: [&str; 10] = [
    "call",
    "domestic_stock.inquire_daily_ccld",
    "--variant",
    "within_3_months",
    "INQR_STRT_DT=20240101",
    "INQR_END_DT=20240131",
    "SLL_BUY_DVSN_CD=00",
    "CCLD_DVSN=00",
    "INQR_DVSN=00",
    "INQR_DVSN_3=00",
];

#[test]
fn csv_writes_one_row_per_record_of_a_block_across_pages() {
    let mut args = CCLD.to_vec();
    args.extend([
        "--all",
        "--format",
        "csv",
        "--fields",
        "ord_dt,odno,ord_qty,avg_prvs",
    ]);
    let (code, stdout, stderr) = kis(&args);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0], "ord_dt,odno,ord_qty,avg_prvs",
        "a header of wire names"
    );
    assert_eq!(
        lines.len(),
        1 + 30,
        "a row per record of output1 over the 3 pages:\n{stdout}"
    );
    assert!(stderr.contains("CSV of block output1"), "{stderr}");
    for row in &lines[1..] {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 4, "{row}");
        // a date as ISO 8601, a quantity as a number, a price as an exact decimal
        assert!(
            chrono::NaiveDate::parse_from_str(cells[0], "%Y-%m-%d").is_ok(),
            "{row}"
        );
        assert!(cells[2].parse::<i64>().is_ok(), "{row}");
        assert!(
            cells[3].is_empty() || cells[3].parse::<kis_api::Decimal>().is_ok(),
            "{row}"
        );
    }

    // the other block by name: an object block is one row
    let mut args = CCLD.to_vec();
    args.extend(["--format", "csv", "--block", "output2", "--labels"]);
    let (code, stdout, stderr) = kis(&args);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].contains("총주문수량"),
        "Korean headers: {}",
        lines[0]
    );

    // an unknown block is a usage error naming the blocks
    let mut args = CCLD.to_vec();
    args.extend(["--format", "csv", "--block", "output9"]);
    let (code, _, stderr) = kis(&args);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("output1, output2"), "{stderr}");
}

#[test]
fn json_holds_values_by_their_types() {
    let (code, stdout, stderr) = kis(&[
        "call",
        "domestic_stock.inquire_price",
        "FID_COND_MRKT_DIV_CODE=J",
        "FID_INPUT_ISCD=005930",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let out = &v["output"];
    assert!(out.is_object(), "{v}");
    // a price as an exact decimal string, a volume as a number; no envelope
    assert!(
        out["stck_prpr"]
            .as_str()
            .is_some_and(|p| p.parse::<kis_api::Decimal>().is_ok()),
        "{out}"
    );
    assert!(out["acml_vol"].is_i64(), "{out}");
    assert!(v.get("rt_cd").is_none(), "{v}");
    // stdout stays KIS's JSON with --json; the two do not mix
    let (code, _, stderr) = kis(&[
        "call",
        "domestic_stock.inquire_price",
        "FID_COND_MRKT_DIV_CODE=J",
        "FID_INPUT_ISCD=005930",
        "--format",
        "json",
        "--json",
    ]);
    assert_eq!(code, 2, "{stderr}");
}
