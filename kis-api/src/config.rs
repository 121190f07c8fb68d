//! Credentials, accounts and the official samples' `kis_devlp.yaml`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::environment::Env;
use crate::error::{Error, Result};
use crate::meta::AccountKind;
pub use crate::secret::{Redacted, Secret};

/// App key and app secret of one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// App key (앱키).
    pub app_key: Secret,
    /// App secret (앱시크릿키).
    pub app_secret: Secret,
}

impl Credentials {
    /// Credentials from an app key and secret.
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<String>) -> Self {
        Credentials {
            app_key: Secret::new(app_key),
            app_secret: Secret::new(app_secret),
        }
    }
}

/// An account: 8-digit number (CANO) and 2-digit product code (ACNT_PRDT_CD).
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    number: String,
    product: String,
}

impl Account {
    /// An account from its two parts.
    pub fn new(number: impl Into<String>, product: impl Into<String>) -> Result<Self> {
        let number = number.into().trim().to_string();
        let product = product.into().trim().to_string();
        if number.len() != 8 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Config(
                "an account number (CANO) has 8 digits".into(),
            ));
        }
        if product.len() != 2 || !product.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Config(
                "an account product code (ACNT_PRDT_CD) has 2 digits".into(),
            ));
        }
        Ok(Account { number, product })
    }

    /// Parses `12345678-01` or `1234567801`.
    pub fn parse(s: &str) -> Result<Self> {
        let digits: String = s.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        if digits.len() != 10 {
            return Err(Error::Config(
                "an account is written 12345678-01 (8 + 2 digits)".into(),
            ));
        }
        Account::new(&digits[..8], &digits[8..])
    }

    /// The 8-digit account number.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The 2-digit product code.
    pub fn product(&self) -> &str {
        &self.product
    }
}

impl fmt::Debug for Account {
    // account numbers are personal data: show only the product code and the last two digits
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Account(******{}-{})", &self.number[6..], self.product)
    }
}

/// Customer type header (`custtype`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomerType {
    /// `P`: personal.
    #[default]
    Personal,
    /// `B`: corporate.
    Corporate,
}

impl CustomerType {
    /// The header value.
    pub fn code(self) -> &'static str {
        match self {
            CustomerType::Personal => "P",
            CustomerType::Corporate => "B",
        }
    }
}

/// What the official samples' `kis_devlp.yaml` holds, read so users can reuse theirs.
#[derive(Clone, Debug, Default)]
pub struct DevlpConfig {
    /// 실전 app key/secret (`my_app`, `my_sec`).
    pub real: Option<Credentials>,
    /// 모의 app key/secret (`paper_app`, `paper_sec`).
    pub demo: Option<Credentials>,
    /// HTS id (`my_htsid`).
    pub hts_id: Option<String>,
    /// Accounts per environment and kind.
    pub accounts: HashMap<(Env, AccountKind), Account>,
    /// REST hosts (`prod`, `vps`).
    pub rest_urls: HashMap<Env, String>,
    /// WebSocket hosts (`ops`, `vops`).
    pub websocket_urls: HashMap<Env, String>,
    /// User agent (`my_agent`).
    pub user_agent: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DevlpFile {
    my_app: Option<String>,
    my_sec: Option<String>,
    paper_app: Option<String>,
    paper_sec: Option<String>,
    my_htsid: Option<String>,
    my_acct_stock: Option<String>,
    my_acct_future: Option<String>,
    my_paper_stock: Option<String>,
    my_paper_future: Option<String>,
    my_prod: Option<String>,
    prod: Option<String>,
    vps: Option<String>,
    ops: Option<String>,
    vops: Option<String>,
    my_agent: Option<String>,
}

/// The largest `kis_devlp.yaml` read: the samples' file is about a kilobyte.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Values the samples ship as placeholders ("앱키", "증권계좌 8자리") count as unset.
fn real_value(v: Option<String>) -> Option<String> {
    let v = v?.trim().to_string();
    let placeholder = v.is_empty() || v.chars().any(|c| matches!(c, '가'..='힣'));
    (!placeholder).then_some(v)
}

/// The credentials of one environment: both halves, or neither. Half a credential is an error
/// naming the missing key, not a silent fallback to something else.
fn pair(
    key_name: &str,
    key: Option<String>,
    secret_name: &str,
    secret: Option<String>,
) -> std::result::Result<Option<Credentials>, String> {
    match (real_value(key), real_value(secret)) {
        (Some(k), Some(s)) => Ok(Some(Credentials::new(k, s))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(half(key_name, secret_name)),
        (None, Some(_)) => Err(half(secret_name, key_name)),
    }
}

fn half(set: &str, missing: &str) -> String {
    format!("{set} is set but {missing} is missing (or still the samples' placeholder)")
}

impl DevlpConfig {
    /// Reads a `kis_devlp.yaml` file.
    pub fn from_file(path: &Path) -> Result<Self> {
        use std::io::Read;
        let cannot =
            |e: &dyn fmt::Display| Error::Config(format!("cannot read {}: {e}", path.display()));
        if path.is_dir() {
            return Err(cannot(&"it is a directory, not a kis_devlp.yaml file"));
        }
        let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
        let mut text = String::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| cannot(&e))?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(cannot(&format!("larger than {MAX_FILE_BYTES} bytes")));
        }
        Self::parse(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
    }

    /// Parses the text of a `kis_devlp.yaml` file.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let f: DevlpFile =
            serde_json::from_value(serde_json::Value::Object(crate::devlp_yaml::parse(text)?))
                .map_err(|e| e.to_string())?;
        let mut c = DevlpConfig {
            real: pair("my_app", f.my_app, "my_sec", f.my_sec)?,
            demo: pair("paper_app", f.paper_app, "paper_sec", f.paper_sec)?,
            hts_id: real_value(f.my_htsid),
            ..DevlpConfig::default()
        };
        // my_prod is the product code of the stock account in the samples ("01" 종합, "22" 연금...);
        // futures accounts use 03 (domestic) and 08 (overseas)
        let stock_product = real_value(f.my_prod)
            .filter(|p| !matches!(p.as_str(), "03" | "08"))
            .unwrap_or_else(|| "01".into());
        let mut add = |env: Env,
                       kind: AccountKind,
                       number: Option<String>,
                       product: &str|
         -> std::result::Result<(), String> {
            if let Some(n) = real_value(number) {
                let acct = Account::new(n, product).map_err(|e| match e {
                    // wrapped again by the caller: the message alone
                    Error::Config(m) => m,
                    other => other.to_string(),
                })?;
                c.accounts.insert((env, kind), acct);
            }
            Ok(())
        };
        add(
            Env::Real,
            AccountKind::Stock,
            f.my_acct_stock.clone(),
            &stock_product,
        )?;
        add(
            Env::Real,
            AccountKind::DomesticFutures,
            f.my_acct_future.clone(),
            "03",
        )?;
        add(
            Env::Real,
            AccountKind::OverseasFutures,
            f.my_acct_future,
            "08",
        )?;
        add(
            Env::Demo,
            AccountKind::Stock,
            f.my_paper_stock,
            &stock_product,
        )?;
        add(
            Env::Demo,
            AccountKind::DomesticFutures,
            f.my_paper_future.clone(),
            "03",
        )?;
        add(
            Env::Demo,
            AccountKind::OverseasFutures,
            f.my_paper_future,
            "08",
        )?;
        for (env, v) in [(Env::Real, f.prod), (Env::Demo, f.vps)] {
            if let Some(u) = real_value(v) {
                c.rest_urls.insert(env, u);
            }
        }
        for (env, v) in [(Env::Real, f.ops), (Env::Demo, f.vops)] {
            if let Some(u) = real_value(v) {
                c.websocket_urls.insert(env, u);
            }
        }
        c.user_agent = real_value(f.my_agent);
        Ok(c)
    }

    /// The default location the samples use: `~/KIS/config/kis_devlp.yaml`.
    pub fn default_path() -> Option<std::path::PathBuf> {
        std::env::var_os("HOME").map(|h| {
            Path::new(&h)
                .join("KIS")
                .join("config")
                .join("kis_devlp.yaml")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    #[test]
    fn secrets_never_show() {
        let c = Credentials::new("PSabcdefghijklmnopqrst", "very-secret-value");
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("PSabc") && !dbg.contains("very-secret"),
            "{dbg}"
        );
        let a = Account::parse("12345678-01").expect("valid");
        assert_eq!(a.number(), "12345678");
        assert_eq!(format!("{a:?}"), "Account(******78-01)");
        assert!(Account::parse("1234-01").is_err());
    }

    #[test]
    fn reads_the_samples_file() {
        let text = r#"
my_app: "PSreal-key"
my_sec: "real-secret"
paper_app: "모의투자 앱키"
paper_sec: "모의투자 앱키 시크릿"
my_htsid: "hts_user"
my_acct_stock: "12345678"
my_acct_future: "87654321"
my_paper_stock: "증권계좌 8자리"
my_prod: "01"
prod: "https://openapi.koreainvestment.com:9443"
ops: "ws://ops.koreainvestment.com:21000"
my_token: ""
my_agent: "agent/1.0"
"#;
        let c = DevlpConfig::parse(text).expect("parses");
        assert_eq!(
            c.real.as_ref().map(|r| r.app_key.expose()),
            Some("PSreal-key")
        );
        assert!(c.demo.is_none(), "placeholders are not credentials");
        assert_eq!(c.hts_id.as_deref(), Some("hts_user"));
        assert_eq!(
            c.accounts
                .get(&(Env::Real, AccountKind::Stock))
                .map(|a| a.product()),
            Some("01")
        );
        assert_eq!(
            c.accounts
                .get(&(Env::Real, AccountKind::DomesticFutures))
                .map(|a| a.number()),
            Some("87654321")
        );
        assert_eq!(
            c.accounts
                .get(&(Env::Real, AccountKind::OverseasFutures))
                .map(|a| a.product()),
            Some("08")
        );
        assert!(!c.accounts.contains_key(&(Env::Demo, AccountKind::Stock)));
        assert_eq!(c.user_agent.as_deref(), Some("agent/1.0"));
        assert!(DevlpConfig::parse("my_app: [").is_err());
    }

    #[test]
    fn half_a_credential_is_an_error_naming_the_missing_key() {
        for (text, missing) in [
            ("my_app: PSkey\n", "my_sec"),
            ("my_sec: secret\n", "my_app"),
            ("my_app: PSkey\nmy_sec: \"앱키 시크릿\"\n", "my_sec"),
            ("paper_app: PSdemo\n", "paper_sec"),
            ("paper_sec: secret\nmy_app: k\nmy_sec: s\n", "paper_app"),
        ] {
            let e = DevlpConfig::parse(text).expect_err(text);
            assert!(e.contains(&format!("{missing} is missing")), "{text}: {e}");
            assert!(!e.contains("PSkey") && !e.contains("secret\n"), "{e}");
        }
        let e = match Client::builder()
            .real()
            .kis_devlp_yaml(write_temp("my_app: PSkey\n").path())
            .build()
        {
            Err(e) => e.to_string(),
            Ok(_) => panic!("half a credential built a client"),
        };
        assert!(e.contains("my_sec is missing"), "{e}");
        assert_eq!(e.matches("configuration:").count(), 1, "{e}");
    }

    fn write_temp(text: &str) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        f
    }
}
