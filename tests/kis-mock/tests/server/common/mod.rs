//! Test helpers: a plain HTTP/1.1 client (hyper), a KIS-shaped caller, request builders from
//! the catalog, and value-shape checks.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use kis_catalog::ValueType;
use kis_catalog::model::{Endpoint, EndpointKind, FillSource, Method};
use kis_mock::{MockConfig, MockServer};
use serde_json::Value;
use tokio::net::TcpStream;

pub const APP_KEY: &str = "PSmockappkey0000000000000000000000001";
pub const APP_SECRET: &str = "mock-secret";
pub const CANO: &str = "12345678";

/// One HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub raw: Bytes,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn str(&self, pointer: &str) -> &str {
        self.json
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

fn encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Sends one request on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Reply, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .header("host", addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(20), sender.send_request(req))
        .await
        .map_err(|_| "timeout".to_string())?
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let raw = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        raw,
        json,
    })
}

/// A started server with an issued token.
pub struct Kis {
    pub server: MockServer,
    pub addr: SocketAddr,
    pub token: String,
}

impl Kis {
    /// The catalog's REST endpoints, in catalog order.
    pub fn rest_endpoints(&self) -> Vec<Endpoint> {
        let catalog = self.server.catalog();
        let rest = catalog
            .endpoints
            .iter()
            .filter(|e| e.kind == EndpointKind::Rest);
        rest.cloned().collect()
    }

    /// Starts a server and issues a token.
    pub async fn start(config: MockConfig) -> Kis {
        let server = MockServer::start(config).await.expect("server starts");
        let addr = server.rest_addr();
        let token = issue_token(addr).await;
        Kis {
            server,
            addr,
            token,
        }
    }

    pub fn control(&self) -> kis_mock::MockControl {
        self.server.control()
    }

    fn headers<'a>(
        &'a self,
        auth: &'a str,
        tr_id: &'a str,
        tr_cont: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            ("content-type", "application/json; charset=utf-8"),
            ("authorization", auth),
            ("appkey", APP_KEY),
            ("appsecret", APP_SECRET),
            ("tr_id", tr_id),
            ("tr_cont", tr_cont),
            ("custtype", "P"),
        ]
    }

    /// A GET with query inputs.
    pub async fn get(
        &self,
        path: &str,
        tr_id: &str,
        tr_cont: &str,
        inputs: &[(String, String)],
    ) -> Result<Reply, String> {
        let q: Vec<String> = inputs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let auth = format!("Bearer {}", self.token);
        let url = if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", q.join("&"))
        };
        send(
            self.addr,
            "GET",
            &url,
            &self.headers(&auth, tr_id, tr_cont),
            "",
        )
        .await
    }

    /// A POST with a JSON body of string inputs.
    pub async fn post(
        &self,
        path: &str,
        tr_id: &str,
        tr_cont: &str,
        inputs: &[(String, String)],
    ) -> Result<Reply, String> {
        let mut m = serde_json::Map::new();
        for (k, v) in inputs {
            m.insert(k.clone(), Value::String(v.clone()));
        }
        let auth = format!("Bearer {}", self.token);
        send(
            self.addr,
            "POST",
            path,
            &self.headers(&auth, tr_id, tr_cont),
            &Value::Object(m).to_string(),
        )
        .await
    }

    /// Calls an endpoint with its method.
    pub async fn call(
        &self,
        ep: &Endpoint,
        tr_id: &str,
        tr_cont: &str,
        inputs: &[(String, String)],
    ) -> Result<Reply, String> {
        match ep.method {
            Some(Method::Post) => self.post(&ep.path, tr_id, tr_cont, inputs).await,
            _ => self.get(&ep.path, tr_id, tr_cont, inputs).await,
        }
    }

    pub fn endpoint(&self, qualified: &str) -> Endpoint {
        self.server
            .catalog()
            .endpoint(qualified)
            .cloned()
            .unwrap_or_else(|| panic!("no endpoint {qualified}"))
    }
}

pub async fn issue_token(addr: SocketAddr) -> String {
    let body = serde_json::json!({
        "grant_type": "client_credentials",
        "appkey": APP_KEY,
        "appsecret": APP_SECRET,
    })
    .to_string();
    let r = send(
        addr,
        "POST",
        "/oauth2/tokenP",
        &[("content-type", "application/json")],
        &body,
    )
    .await
    .expect("token request");
    assert_eq!(r.status, 200, "token: {:?}", r.json);
    r.str("/access_token").to_string()
}

/// The variant a test uses: `buy` when there is one, else the first.
pub fn pick_variant(ep: &Endpoint) -> usize {
    ep.tr
        .variants
        .iter()
        .position(|v| v.name.contains("buy"))
        .unwrap_or(0)
}

/// The TR ID of the test variant in an environment.
pub fn tr_of(ep: &Endpoint, demo: bool) -> Option<String> {
    let v = ep.tr.variants.get(pick_variant(ep))?;
    if demo {
        v.demo.clone()
    } else {
        Some(v.real.clone())
    }
}

fn is_product(upper: &str) -> bool {
    let s = upper
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .trim_end_matches('_');
    s.ends_with("ISCD")
        || s.ends_with("PDNO")
        || s == "SYMB"
        || s.ends_with("SRS_CD")
        || s == "SHT_CD"
}

/// The first member of a `common.yaml` enum (a value KIS accepts for a field typed with it).
fn first_member(name: &str) -> Option<String> {
    static CATALOG: std::sync::OnceLock<Option<kis_catalog::Catalog>> = std::sync::OnceLock::new();
    let catalog = CATALOG.get_or_init(|| kis_mock::embedded_catalog().ok());
    let en = catalog.as_ref()?.common.code_enum(name)?;
    en.members.first().map(|m| m.value.clone())
}

/// A well-formed request for an endpoint: every input, filled as a client would.
pub fn well_formed(ep: &Endpoint, orig_odno: Option<&str>) -> Vec<(String, String)> {
    let overseas = ep.group.starts_with("overseas");
    ep.request
        .iter()
        .map(|f| {
            let u = f.wire.to_ascii_uppercase();
            let v = if f.paging {
                String::new()
            } else if f.fill == Some(FillSource::AccountNumber) || u == "CANO" {
                CANO.to_string()
            } else if f.fill == Some(FillSource::AccountProductCode) || u == "ACNT_PRDT_CD" {
                "01".to_string()
            } else if u == "ORGN_ODNO" {
                orig_odno.unwrap_or("0000000001").to_string()
            } else if u == "SLL_BUY_DVSN_CD" && f.values.iter().any(|v| v.value == "02") {
                "02".to_string()
            } else if let Some(v) = f
                .values
                .first()
                .filter(|_| f.default.is_none() || f.required)
            {
                v.value.clone()
            } else if let Some(d) = f.default.as_ref().filter(|d| !d.is_empty()) {
                d.clone()
            } else if let Some(m) = f.enum_name.as_deref().and_then(first_member) {
                m
            } else if !f.required {
                String::new()
            } else if is_product(&u) {
                if overseas {
                    "AAPL".into()
                } else {
                    "005930".into()
                }
            } else if u.contains("QTY") {
                "10".into()
            } else if f.ty == ValueType::Price
                || u.contains("UNPR")
                || u.contains("PRIC")
                || u.contains("PRICE")
            {
                "1".into()
            } else if f.ty == ValueType::Date || u.ends_with("_DT") || u.contains("DATE") {
                "20250630".into()
            } else {
                "1".into()
            };
            (f.wire.clone(), v)
        })
        .collect()
}

pub fn set(inputs: &mut [(String, String)], key: &str, value: &str) {
    for (k, v) in inputs.iter_mut() {
        if k.eq_ignore_ascii_case(key) {
            *v = value.to_string();
        }
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn decimal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    match s.split_once('.') {
        Some((a, b)) => all_digits(a) && all_digits(b),
        None => all_digits(s),
    }
}

/// Whether `s` has the shape of `ty` (blank is always fine).
pub fn shape_ok(ty: ValueType, s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    match ty {
        ValueType::Text | ValueType::Code => true,
        ValueType::Price | ValueType::Amount | ValueType::Rate | ValueType::Decimal => decimal(s),
        ValueType::Quantity | ValueType::Integer => {
            all_digits(s.strip_prefix(['+', '-']).unwrap_or(s))
        }
        ValueType::Date => s.len() == 8 && chrono::NaiveDate::parse_from_str(s, "%Y%m%d").is_ok(),
        ValueType::Time => s.len() == 6 && chrono::NaiveTime::parse_from_str(s, "%H%M%S").is_ok(),
        ValueType::DateTime => {
            s.len() >= 14
                && all_digits(s)
                && chrono::NaiveDateTime::parse_from_str(&s[..14], "%Y%m%d%H%M%S").is_ok()
        }
        ValueType::YesNo => s == "Y" || s == "N",
    }
}

/// Checks that a success body carries every block and field of the endpoint's layout, with
/// the right JSON kinds and value shapes. Returns the problems found.
pub fn schema_problems(ep: &Endpoint, body: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let Some(obj) = body.as_object() else {
        return vec!["body is not an object".into()];
    };
    for k in ["rt_cd", "msg_cd", "msg1"] {
        if !obj.get(k).is_some_and(Value::is_string) {
            p.push(format!("envelope {k} missing"));
        }
    }
    for f in &ep.response.body {
        match obj.get(&f.wire) {
            Some(Value::String(s)) if shape_ok(f.ty, s) => {}
            other => p.push(format!("body field {} = {other:?} ({})", f.wire, f.ty)),
        }
    }
    for b in &ep.response.blocks {
        let rows: Vec<&Value> = match (b.shape, obj.get(&b.wire)) {
            (kis_catalog::model::Shape::Object, Some(v @ Value::Object(_))) => vec![v],
            (kis_catalog::model::Shape::Array, Some(Value::Array(a))) => a.iter().collect(),
            (_, other) => {
                p.push(format!("block {} has the wrong kind: {other:?}", b.wire));
                continue;
            }
        };
        for row in rows {
            let Some(row) = row.as_object() else {
                p.push(format!("block {} row is not an object", b.wire));
                continue;
            };
            if row.len() != b.fields.len() {
                p.push(format!(
                    "block {} row has {} keys, layout {}",
                    b.wire,
                    row.len(),
                    b.fields.len()
                ));
            }
            for f in &b.fields {
                match row.get(&f.wire) {
                    Some(Value::String(s)) if shape_ok(f.ty, s) => {}
                    other => p.push(format!("{}.{} = {other:?} ({})", b.wire, f.wire, f.ty)),
                }
            }
        }
    }
    p
}
