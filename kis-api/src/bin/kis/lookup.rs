//! Finding endpoints, inputs, values and fields by the names people type, with suggestions for
//! near misses; names are capped before any fuzzy matching.

use kis_api::EndpointMeta;
use kis_api::meta::FieldMeta;

use crate::Failure;
use crate::catalog::endpoints;

/// Lower case, `-` as `_`, `/` as `.`: `domestic-stock/inquire-price` reads as the id.
pub fn normalize(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .replace('-', "_")
        .replace(['/', ':'], ".")
}

/// The endpoint part of an id (`inquire_price` of `domestic_stock.inquire_price`).
fn short(m: &EndpointMeta) -> &'static str {
    m.id.rsplit('.').next().unwrap_or(m.id)
}

/// The longest name a lookup reads (endpoint ids, TR IDs, Korean names, groups, inputs,
/// columns, variants): the catalog's are far shorter. A longer one is refused before the fuzzy
/// matching, whose cost grows with the product of the lengths (a 100,000-character name took
/// 26 s), and is never echoed whole.
pub const MAX_NAME_CHARS: usize = 200;

/// Characters of a refused or unknown name quoted back.
const SHOWN_CHARS: usize = 40;

/// The start of a name from the command line, for messages.
pub fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(SHOWN_CHARS).collect();
    if s.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Refuses a name (`what`: "endpoint name", "input name", ...) longer than [`MAX_NAME_CHARS`].
pub fn check_name(what: &str, s: &str) -> Result<(), Failure> {
    let chars = s.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(Failure::usage(format!(
            "the {what} '{}' is {chars} characters long; names are at most {MAX_NAME_CHARS}",
            shown(s)
        )));
    }
    Ok(())
}

/// Similarity of two names in 0..=1, for suggestions (0 for a name over [`MAX_NAME_CHARS`]).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a.chars().nth(MAX_NAME_CHARS).is_some() || b.chars().nth(MAX_NAME_CHARS).is_some() {
        return 0.0;
    }
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut s = strsim::jaro_winkler(&a, &b).max(strsim::normalized_levenshtein(&a, &b));
    if a.chars().count() >= 3 && (b.contains(&a) || a.contains(&b)) {
        s = s.max(0.9);
    }
    // one typo in a short name (`by` for `buy`) still counts
    if strsim::osa_distance(&a, &b) <= 1 {
        s = s.max(0.75);
    }
    s
}

/// The names of `candidates` nearest to `query`, best first, at most `n`.
pub fn nearest<'a>(
    query: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (similarity(query, c), c))
        .filter(|(s, _)| *s >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out: Vec<&str> = Vec::new();
    for (_, c) in scored {
        if !out.contains(&c) {
            out.push(c);
        }
        if out.len() == n {
            break;
        }
    }
    out
}

/// "did you mean a, b?" for the nearest names, or `None` when nothing is near.
pub fn did_you_mean<S: AsRef<str>>(near: &[S]) -> Option<String> {
    let names: Vec<&str> = near.iter().map(AsRef::as_ref).collect();
    (!names.is_empty()).then(|| format!("did you mean {}?", names.join(", ")))
}

/// Whether a `--fields` word names `f`: its wire name in any case, or its Korean label.
pub fn names_field(f: &FieldMeta, word: &str) -> bool {
    let word = word.trim();
    f.wire.eq_ignore_ascii_case(word) || f.label == word
}

/// The position among `fields` of the one a `--fields` word names; a miss is a usage error that
/// suggests the nearest names. `noun` says what `fields` are ("output field", "column").
pub fn field_position(
    meta: &EndpointMeta,
    fields: &[&FieldMeta],
    word: &str,
    noun: &str,
) -> Result<usize, Failure> {
    check_name(noun, word)?;
    if let Some(i) = fields.iter().position(|f| names_field(f, word)) {
        return Ok(i);
    }
    let word = word.trim();
    let names = fields
        .iter()
        .map(|f| f.wire)
        .chain(fields.iter().map(|f| f.label));
    let near = nearest(word, names, 3);
    let hint =
        did_you_mean(&near).unwrap_or_else(|| format!("`kis describe {}` lists them", meta.id));
    Err(Failure::usage(format!(
        "--fields: {} has no {noun} '{word}'; {hint}",
        meta.id
    )))
}

/// Finds an endpoint by id, `group/endpoint`, endpoint part (when unique), TR ID or Korean name;
/// a miss is a usage error that suggests the nearest ids.
pub fn find(query: &str) -> Result<&'static EndpointMeta, Failure> {
    check_name("endpoint name", query)?;
    let q = normalize(query);
    if q.is_empty() {
        return Err(Failure::usage("an endpoint id is needed (see `kis list`)"));
    }
    if let Some(m) = endpoints().find(|m| m.id == q) {
        return Ok(m);
    }
    let by_short: Vec<_> = endpoints().filter(|m| short(m) == q).collect();
    match by_short.as_slice() {
        [one] => return Ok(one),
        [] => {}
        many => {
            let ids: Vec<&str> = many.iter().map(|m| m.id).collect();
            return Err(Failure::usage(format!(
                "'{query}' names an endpoint in several groups: {}",
                ids.join(", ")
            )));
        }
    }
    let raw = query.trim();
    let tr_id = raw.to_uppercase();
    let by_tr: Vec<_> = endpoints().filter(|m| m.has_tr_id(&tr_id)).collect();
    if let [one] = by_tr.as_slice() {
        return Ok(one);
    }
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    if let Some(m) = endpoints().find(|m| squeeze(m.name) == squeeze(raw)) {
        return Ok(m);
    }
    let mut scored: Vec<(f64, &'static EndpointMeta)> = endpoints()
        .map(|m| {
            let s = similarity(&q, m.id)
                .max(similarity(&q, short(m)))
                .max(similarity(raw, m.name));
            (s, m)
        })
        .filter(|(s, _)| *s >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let ids: Vec<String> = scored
        .iter()
        .take(5)
        .map(|(_, m)| format!("{} ({})", m.id, m.name))
        .collect();
    let hint = did_you_mean(&ids).unwrap_or_else(|| "`kis list` shows every endpoint".into());
    Err(Failure::usage(format!(
        "unknown endpoint '{query}'; {hint}"
    )))
}

/// Endpoints matching `query`, best first, at most `limit`: an exact id, TR ID or API code
/// first, then ids, Korean names and groups containing every word of the query, then near
/// misses. For `kis mcp`'s `kis_search`.
#[cfg(feature = "mcp")]
pub fn search(
    query: &str,
    candidates: impl Iterator<Item = &'static EndpointMeta>,
    limit: usize,
) -> Result<Vec<&'static EndpointMeta>, Failure> {
    check_name("search query", query)?;
    let raw = query.trim();
    if raw.is_empty() {
        return Err(Failure::usage("the query is empty"));
    }
    let q = normalize(raw);
    let upper = raw.to_uppercase();
    let words: Vec<String> = raw.split_whitespace().map(normalize).collect();
    let mut scored: Vec<(f64, &'static EndpointMeta)> = candidates
        .filter_map(|m| {
            let id = m.id;
            let name = m.name.to_lowercase();
            let exact = id == q
                || short(m) == q
                || m.has_tr_id(&upper)
                || m.api_code.is_some_and(|c| c.eq_ignore_ascii_case(raw));
            if exact {
                return Some((2.0, m));
            }
            let hay = format!("{id} {name} {} {}", m.group, normalize(m.path));
            if words.iter().all(|w| hay.contains(w.as_str())) {
                // shorter ids first among equals: the plain endpoint before its variants
                return Some((1.5 - id.len() as f64 / 1000.0, m));
            }
            let s = similarity(&q, id)
                .max(similarity(&q, short(m)))
                .max(similarity(raw, m.name));
            (s >= 0.75).then_some((s, m))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(scored.into_iter().take(limit).map(|(_, m)| m).collect())
}
