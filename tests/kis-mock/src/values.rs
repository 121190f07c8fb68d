//! Deterministic value generation: a small hash-seeded generator, prices per symbol, dates and
//! number formatting. Every value is produced as the string KIS would send.

use chrono::{Datelike, Duration as ChronoDuration, NaiveDate, Weekday};

/// FNV-1a over bytes: a stable hash (the std hasher is not guaranteed stable).
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser: mixes two words into one.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_add(0x9e37_79b9_7f4a_7c15).rotate_left(17);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small deterministic generator (SplitMix64 stream).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(mix(seed, 0x5eed))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0, 0)
    }

    /// Uniform in `lo..=hi` (returns `lo` when `hi < lo`).
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.next_u64() % 1000 < per_mille
    }

    /// Uniform in [-1, 1].
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        if items.is_empty() {
            return "";
        }
        items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// Formats a scaled integer (`value / 10^scale`) as a decimal string: `71900`, `-0.53`, `182.5200`.
pub(crate) fn fmt_scaled(value: i64, scale: u32) -> String {
    if scale == 0 {
        return value.to_string();
    }
    let p = 10i64.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let a = value.unsigned_abs();
    let p = p as u64;
    format!("{sign}{}.{:0width$}", a / p, a % p, width = scale as usize)
}

/// Parses a decimal string into a scaled integer; `None` if it is not a plain decimal.
pub(crate) fn parse_scaled(s: &str, scale: u32) -> Option<i64> {
    let s = s.trim();
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for b in int.bytes() {
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let mut digits = 0u32;
    for b in frac.bytes() {
        if digits == scale {
            // extra precision: only zeros may be dropped
            if b != b'0' {
                return None;
            }
            continue;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        digits += 1;
    }
    while digits < scale {
        v = v.checked_mul(10)?;
        digits += 1;
    }
    Some(if neg { -v } else { v })
}

/// How prices of a market look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PriceStyle {
    /// Decimal places of prices.
    pub(crate) scale: u32,
    /// Decimal places of money amounts.
    pub(crate) amount_scale: u32,
    /// Korean exchange tick table (domestic stocks) instead of a fixed minimum unit.
    pub(crate) krx_ticks: bool,
    /// Smallest price step in scaled units when not using the KRX table.
    pub(crate) unit: i64,
    /// Range of base prices in scaled units.
    pub(crate) base_lo: i64,
    /// Upper end of base prices.
    pub(crate) base_hi: i64,
    /// Symbols are letters (overseas) rather than digits.
    pub(crate) letter_symbols: bool,
}

impl PriceStyle {
    /// The style of an API group (`overseas_*` decimal prices, domestic won prices).
    pub(crate) fn for_group(group: &str) -> PriceStyle {
        if group == "overseas_stock" {
            PriceStyle {
                scale: 4,
                amount_scale: 2,
                krx_ticks: false,
                unit: 100,
                base_lo: 50_000,
                base_hi: 5_000_000,
                letter_symbols: true,
            }
        } else if group.starts_with("overseas") {
            PriceStyle {
                scale: 2,
                amount_scale: 2,
                krx_ticks: false,
                unit: 1,
                base_lo: 1_000,
                base_hi: 500_000,
                letter_symbols: true,
            }
        } else if group == "domestic_futureoption" || group == "domestic_bond" {
            PriceStyle {
                scale: 2,
                amount_scale: 0,
                krx_ticks: false,
                unit: 5,
                base_lo: 10_000,
                base_hi: 1_000_000,
                letter_symbols: false,
            }
        } else {
            PriceStyle {
                scale: 0,
                amount_scale: 0,
                krx_ticks: true,
                unit: 1,
                base_lo: 1_000,
                base_hi: 400_000,
                letter_symbols: false,
            }
        }
    }

    /// Price step at `price`.
    pub(crate) fn tick(&self, price: i64) -> i64 {
        if !self.krx_ticks {
            return self.unit.max(1);
        }
        match price {
            p if p < 2_000 => 1,
            p if p < 5_000 => 5,
            p if p < 20_000 => 10,
            p if p < 50_000 => 50,
            p if p < 200_000 => 100,
            p if p < 500_000 => 500,
            _ => 1_000,
        }
    }

    /// Rounds to the nearest tick (at least one tick).
    pub(crate) fn round(&self, price: f64) -> i64 {
        let p = price.max(1.0) as i64;
        let t = self.tick(p);
        (((p + t / 2) / t) * t).max(t)
    }

    pub(crate) fn round_up(&self, price: f64) -> i64 {
        let p = price.ceil().max(1.0) as i64;
        let t = self.tick(p);
        (p + t - 1) / t * t
    }

    pub(crate) fn round_down(&self, price: f64) -> i64 {
        let p = price.floor().max(1.0) as i64;
        let t = self.tick(p);
        (p / t * t).max(t)
    }

    /// The deterministic base (current) price of a symbol.
    pub(crate) fn base_price(&self, seed: u64, symbol: &str) -> i64 {
        let h = mix(seed, fnv(symbol.as_bytes()));
        let span = (self.base_hi - self.base_lo).max(1) as u64;
        self.round((self.base_lo + (h % span) as i64) as f64)
    }
}

/// Open, high, low, close and the previous close of one day.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Ohlc {
    pub(crate) open: i64,
    pub(crate) high: i64,
    pub(crate) low: i64,
    pub(crate) close: i64,
    pub(crate) prev_close: i64,
}

fn close_at(style: &PriceStyle, seed: u64, symbol_hash: u64, base: i64, day: u64) -> i64 {
    if day == 0 {
        return base;
    }
    let mut r = Rng::new(mix(mix(seed, symbol_hash), day));
    style.round(base as f64 * (1.0 + 0.04 * r.unit()))
}

/// Prices of `day` days before the anchor day (day 0 closes at `base`).
pub(crate) fn day_prices(style: &PriceStyle, seed: u64, symbol: &str, base: i64, day: u64) -> Ohlc {
    let sh = fnv(symbol.as_bytes());
    let close = close_at(style, seed, sh, base, day);
    let prev_close = close_at(style, seed, sh, base, day + 1);
    let mut r = Rng::new(mix(mix(seed ^ 0x0c1c, sh), day));
    let open = style.round(prev_close as f64 * (1.0 + 0.01 * r.unit()));
    let hi_base = open.max(close) as f64;
    let lo_base = open.min(close) as f64;
    let high = style.round_up(hi_base * (1.0 + 0.015 * r.unit().abs()));
    let low = style.round_down(lo_base * (1.0 - 0.015 * r.unit().abs()));
    Ohlc {
        open,
        high: high.max(open).max(close),
        low: low.min(open).min(close),
        close,
        prev_close,
    }
}

/// Whether a date is a weekday.
fn is_business(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The latest business day on or before `d`.
pub(crate) fn business_on_or_before(mut d: NaiveDate) -> NaiveDate {
    while !is_business(d) {
        match d.pred_opt() {
            Some(p) => d = p,
            None => return d,
        }
    }
    d
}

/// The `n`-th business day before `anchor` (0 = the anchor itself, which must be a business day).
pub(crate) fn business_days_back(anchor: NaiveDate, n: u64) -> NaiveDate {
    // whole weeks first, then single days
    let weeks = i64::try_from(n / 5).unwrap_or(i64::MAX / 8);
    let Some(mut d) = ChronoDuration::try_days(weeks.saturating_mul(7))
        .and_then(|w| anchor.checked_sub_signed(w))
    else {
        return NaiveDate::MIN;
    };
    let mut left = n % 5;
    while left > 0 {
        let Some(prev) = d.pred_opt() else {
            return d;
        };
        d = prev;
        if is_business(d) {
            left -= 1;
        }
    }
    d
}

/// Korea time now, as naive date-time.
pub(crate) fn kst_now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc() + chrono::Duration::hours(9)
}

/// `YYYYMMDD`.
pub(crate) fn fmt_date(d: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// Parses `YYYYMMDD`.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y = s[0..4].parse().ok()?;
    let m = s[4..6].parse().ok()?;
    let d = s[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `HHMMSS` from seconds after midnight.
pub(crate) fn fmt_time(secs: u32) -> String {
    let secs = secs % 86_400;
    format!("{:02}{:02}{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Appends `s` as a JSON string literal (quotes included).
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Random alphanumeric string of `n` characters.
pub(crate) fn alnum(rng: &mut Rng, n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| CHARS[(rng.next_u64() % CHARS.len() as u64) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_round_trip() {
        assert_eq!(fmt_scaled(71900, 0), "71900");
        assert_eq!(fmt_scaled(-53, 2), "-0.53");
        assert_eq!(fmt_scaled(1_825_200, 4), "182.5200");
        assert_eq!(parse_scaled("182.52", 4), Some(1_825_200));
        assert_eq!(parse_scaled("+1.26", 2), Some(126));
        assert_eq!(parse_scaled("71900", 0), Some(71900));
        assert_eq!(parse_scaled("71900.0", 0), Some(71900));
        assert_eq!(parse_scaled("71900.5", 0), None);
        assert_eq!(parse_scaled("abc", 0), None);
        assert_eq!(parse_scaled("", 0), None);
        assert_eq!(parse_scaled("-", 0), None);
        assert_eq!(parse_scaled("99999999999999999999999", 0), None);
    }

    #[test]
    fn ohlc_is_consistent() {
        for style in [
            PriceStyle::for_group("domestic_stock"),
            PriceStyle::for_group("overseas_stock"),
            PriceStyle::for_group("overseas_futureoption"),
        ] {
            for sym in ["005930", "AAPL", "x"] {
                let base = style.base_price(7, sym);
                for day in 0..50 {
                    let o = day_prices(&style, 7, sym, base, day);
                    assert!(o.low <= o.open && o.open <= o.high, "{o:?}");
                    assert!(o.low <= o.close && o.close <= o.high, "{o:?}");
                    assert!(o.low > 0);
                }
                assert_eq!(day_prices(&style, 7, sym, base, 0).close, base);
            }
        }
    }

    #[test]
    fn business_days_descend() {
        let a = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
        let mut prev = a + ChronoDuration::days(1);
        for n in 0..30 {
            let d = business_days_back(a, n);
            assert!(is_business(d));
            assert!(d < prev);
            prev = d;
        }
        assert_eq!(fmt_date(business_days_back(a, 1)), "20250627");
    }
}
