//! Reads one API folder of KIS's example repository (`examples_llm/<group>/<api>/`): the
//! example function (`<api>.py`) and its check script (`chk_<api>.py`). The files are read at run
//! time only; nothing of them is kept beyond the facts below.

use std::path::Path;

/// Largest example file read; KIS's are a few kilobytes.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// What an example says about one endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Example {
    /// Group folder.
    pub group: String,
    /// API folder (the catalog id).
    pub id: String,
    /// The name in the header comment (`[국내주식] 기본시세 > 주식현재가 시세[v1_국내주식-008]`).
    pub name: Option<String>,
    /// The API code in the header comment (`v1_국내주식-008`).
    pub api_code: Option<String>,
    /// `API_URL`.
    pub path: Option<String>,
    /// `GET`, `POST` or `WS`.
    pub method: &'static str,
    /// TR IDs set for the real environment (or with no environment condition).
    pub real: Vec<String>,
    /// TR IDs set for demo.
    pub demo: Vec<String>,
    /// Whether the function chooses by environment at all (`env_dv`).
    pub knows_env: bool,
    /// Request keys in order.
    pub inputs: Vec<Input>,
    /// Response fields with Korean labels (the check script's column mapping).
    pub outputs: Vec<(String, String)>,
    /// Realtime columns in order.
    pub columns: Vec<String>,
}

/// One request key of an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Key as sent.
    pub wire: String,
    /// Korean label.
    pub label: String,
    /// Marked `[필수]`.
    pub required: bool,
}

fn read(path: &Path) -> Result<Option<String>, String> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{}: {} bytes, more than an example holds",
            path.display(),
            meta.len()
        ));
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The quoted strings (single or double quotes) of a line, in order.
fn quoted(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find(['"', '\'']) {
        let q = rest[start..].chars().next().unwrap_or('"');
        let after = &rest[start + 1..];
        let Some(end) = after.find(q) else { break };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

fn comment(line: &str) -> Option<&str> {
    line.split_once('#').map(|(_, c)| c.trim())
}

fn is_tr_id(s: &str) -> bool {
    s.len() >= 6
        && s.len() <= 16
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A label without the `[필수]` mark and the `(ex. ...)` hints.
fn clean_label(text: &str) -> String {
    let t = text.replace("[필수]", "");
    let t = t.split(" (").next().unwrap_or_default();
    t.trim().to_string()
}

/// Largest numbered series of keys read from one loop.
const MAX_SERIES: u32 = 100;

/// `for i in range(1, 33):` as the loop variable and its bounds.
fn for_range(line: &str) -> Option<(String, u32, u32)> {
    let rest = line.strip_prefix("for ")?;
    let (var, rest) = rest.split_once(" in range(")?;
    let (bounds, _) = rest.split_once("):")?;
    let (from, to) = bounds.split_once(',')?;
    let (from, to) = (from.trim().parse().ok()?, to.trim().parse().ok()?);
    (from <= to && to - from <= MAX_SERIES).then(|| (var.trim().to_string(), from, to))
}

/// The keys an f-string template (`"SRS_CD_{i:02d}"`) gives for each value of the loop variable.
fn expand(template: &str, var: &str, from: u32, to: u32) -> Option<Vec<String>> {
    let body = quoted(template).into_iter().next()?;
    let (head, rest) = body.split_once('{')?;
    let (spec, tail) = rest.split_once('}')?;
    let width: usize = match spec.split_once(':') {
        Some((v, format)) if v == var => {
            format.strip_prefix('0')?.strip_suffix('d')?.parse().ok()?
        }
        None if spec == var => 0,
        _ => return None,
    };
    // a key is short; a wider pad is not a key
    if width > 8 || tail.contains('{') {
        return None;
    }
    Some(
        (from..to)
            .map(|i| format!("{head}{i:0width$}{tail}"))
            .collect(),
    )
}

/// Reads the example folder `dir` of `group`/`id`; `None` when it has no example function.
pub fn read_example(dir: &Path, group: &str, id: &str) -> Result<Option<Example>, String> {
    let Some(main) = read(&dir.join(format!("{id}.py")))? else {
        return Ok(None);
    };
    let mut ex = Example {
        group: group.to_string(),
        id: id.to_string(),
        method: if main.contains("ka.data_fetch(") {
            "WS"
        } else if main.contains("postFlag=True") || main.contains("requests.post(") {
            "POST"
        } else {
            "GET"
        },
        ..Example::default()
    };
    // argument name -> (label, required), from the signature comments and the docstring's Args
    let mut args: Vec<(String, String, bool)> = Vec::new();
    let mut note_arg = |name: &str, text: &str| {
        let required = text.contains("[필수]");
        match args.iter_mut().find(|(n, _, _)| n == name) {
            Some(a) => {
                a.2 |= required;
                if a.1.is_empty() {
                    a.1 = clean_label(text);
                }
            }
            None => args.push((name.to_string(), clean_label(text), required)),
        }
    };
    let mut in_signature = false;
    let mut env: Option<(bool, bool)> = None; // (real, demo) of the branch being read
    let mut in_params = false;
    let mut in_columns = false;
    let mut params: Vec<(String, String, String)> = Vec::new(); // key, argument, comment
    let mut series: Option<(String, u32, u32)> = None; // loop variable, first, end (exclusive)
    let mut templates: Vec<(String, Vec<String>)> = Vec::new(); // variable, the keys it takes
    for line in main.lines() {
        let t = line.trim();
        if ex.name.is_none() && t.starts_with("# [") && t.contains(']') {
            // `...> 주식현재가 시세[v1_국내주식-008]`: the name, then the API code
            let title = t.rsplit("> ").next().unwrap_or_default().trim();
            match title.strip_suffix(']').and_then(|s| s.rsplit_once('[')) {
                Some((name, code)) => {
                    ex.name = Some(name.trim().to_string());
                    ex.api_code = Some(code.to_string());
                }
                None => ex.name = Some(title.to_string()),
            }
        }
        if t.starts_with("API_URL") {
            ex.path = quoted(t).first().map(|s| s.to_string());
        }
        if t.starts_with(&format!("def {id}(")) {
            in_signature = true;
            continue;
        }
        if in_signature {
            if t.starts_with(')') {
                in_signature = false;
            } else if let Some((name, _)) = t.split_once(':') {
                note_arg(name.trim(), comment(t).unwrap_or_default());
            }
            continue;
        }
        // docstring Args: `name (str): [필수] label`
        if let Some((name, rest)) = t.split_once(" (str): ")
            && !name.contains(' ')
        {
            note_arg(name, rest);
        }
        let real = t.contains("env_dv == \"real\"") || t.contains("env_dv == 'real'");
        let demo = t.contains("env_dv == \"demo\"") || t.contains("env_dv == 'demo'");
        if real || demo {
            env = Some((real, demo));
            ex.knows_env = true;
        } else if t == "else:" && env.is_some() && !line.starts_with("        ") {
            env = None;
        }
        if t.starts_with("tr_id =") || t.starts_with("tr_id=") {
            // no condition: the real environment's ID
            let (to_real, to_demo) = env.unwrap_or((true, false));
            for id in quoted(t).into_iter().filter(|s| is_tr_id(s)) {
                for (yes, list) in [(to_real, &mut ex.real), (to_demo, &mut ex.demo)] {
                    if yes && !list.iter().any(|x| x == id) {
                        list.push(id.to_string());
                    }
                }
            }
        }
        // a numbered series of keys: `for i in range(1, 33):` ... `key = f"SRS_CD_{i:02d}"`
        if let Some(r) = for_range(t) {
            series = Some(r);
        } else if let Some((var, template)) = t.split_once(" = f")
            && let Some((v, from, to)) = &series
            && let Some(keys) = expand(template, v, *from, *to)
        {
            templates.push((var.trim().to_string(), keys));
        }
        // keys added one by one: `params["KEY"] = argument`
        if let Some(rest) = t.strip_prefix("params[")
            && let Some((key, arg)) = rest.split_once("] =")
        {
            let literal = key.starts_with(['"', '\'']);
            let keys: Vec<String> = if literal {
                vec![key.trim_matches(['"', '\'']).to_string()]
            } else {
                // a computed key is a fact only when it names a series read above
                templates
                    .iter()
                    .find(|(var, _)| var == key.trim())
                    .map(|(_, keys)| keys.clone())
                    .unwrap_or_default()
            };
            let arg = arg.split('#').next().unwrap_or_default().trim();
            let note = comment(t).unwrap_or_default();
            for key in keys {
                if !params.iter().any(|(k, _, _)| *k == key) {
                    params.push((key, arg.to_string(), note.to_string()));
                }
            }
            continue;
        }
        if t.starts_with("params = {") || t.starts_with("data = {") {
            in_params = !t.ends_with('}');
            continue;
        }
        if in_params {
            if t.starts_with('}') {
                in_params = false;
            } else if let Some(key) = quoted(t).first() {
                let arg = t
                    .split_once(':')
                    .map(|(_, v)| v.split([',', '#']).next().unwrap_or_default().trim())
                    .unwrap_or_default();
                params.push((
                    key.to_string(),
                    arg.to_string(),
                    comment(t).unwrap_or_default().to_string(),
                ));
            }
            continue;
        }
        if t.starts_with("columns = [") {
            in_columns = true;
        }
        if in_columns {
            ex.columns.extend(quoted(t).into_iter().map(str::to_string));
            if t.ends_with(']') {
                in_columns = false;
            }
        }
    }
    // some examples derive the demo ID from the real one by its first letter
    if main.contains("\"V\" + tr_id[1:]") {
        ex.knows_env = true;
        for r in ex.real.clone() {
            let d = format!("V{}", r.get(1..).unwrap_or_default());
            if !ex.demo.contains(&d) {
                ex.demo.push(d);
            }
        }
    }
    if ex.method != "WS" {
        ex.inputs = params
            .into_iter()
            .map(|(wire, arg, comment)| {
                let known = args.iter().find(|(n, _, _)| *n == arg);
                let label = match known {
                    Some((_, l, _)) if !l.is_empty() => l.clone(),
                    _ => clean_label(&comment),
                };
                Input {
                    wire,
                    label,
                    required: known.is_some_and(|(_, _, r)| *r),
                }
            })
            .collect();
    }
    if let Some(chk) = read(&dir.join(format!("chk_{id}.py")))? {
        let mut in_mapping = false;
        for line in chk.lines() {
            let t = line.trim();
            if t.starts_with("COLUMN_MAPPING") {
                in_mapping = true;
                continue;
            }
            if !in_mapping {
                continue;
            }
            if t.starts_with('}') {
                in_mapping = false;
                continue;
            }
            if let [name, label, ..] = quoted(t)[..] {
                let lower = name.to_lowercase();
                let block = lower
                    .strip_prefix("output")
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
                if !block && !ex.outputs.iter().any(|(n, _)| n == name) {
                    ex.outputs.push((name.to_string(), label.to_string()));
                }
            }
        }
    }
    Ok(Some(ex))
}

/// Every example under `root` (the repository, or its `examples_llm` folder), by group and id.
pub fn read_tree(root: &Path) -> Result<Vec<Example>, String> {
    let base = if root.join("examples_llm").is_dir() {
        root.join("examples_llm")
    } else {
        root.to_path_buf()
    };
    let mut out = Vec::new();
    for group in sorted_dirs(&base)? {
        let Some(g) = group
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        for api in sorted_dirs(&group)? {
            let Some(id) = api.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
                continue;
            };
            if let Some(ex) = read_example(&api, &g, &id)? {
                out.push(ex);
            }
        }
    }
    if out.is_empty() {
        // a bare clone (or a mirror) has no files to read: say how to get a tree
        let bare = root.join("HEAD").is_file() && root.join("objects").is_dir();
        let hint = if bare {
            "; this is a bare git directory: check out a tree first, e.g. `git --git-dir DIR \
             archive HEAD examples_llm | tar -x -C OUT`"
        } else {
            ""
        };
        return Err(format!(
            "{}: no example folders (<group>/<api>/<api>.py) found{hint}",
            root.display()
        ));
    }
    Ok(out)
}

fn sorted_dirs(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let mut dirs: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::{expand, for_range};

    #[test]
    fn a_series_is_read_within_bounds_only() {
        assert_eq!(for_range("for i in range(1, 3):"), Some(("i".into(), 1, 3)));
        assert_eq!(for_range("for i in range(1, 100000):"), None, "too long");
        assert_eq!(for_range("for i in range(5, 1):"), None);
        assert_eq!(
            expand("\"K_{i:02d}\"", "i", 1, 3),
            Some(vec!["K_01".to_string(), "K_02".to_string()])
        );
        assert_eq!(expand("\"K{i}X\"", "i", 9, 10), Some(vec!["K9X".into()]));
        assert_eq!(
            expand("\"K_{i:0999999d}\"", "i", 1, 3),
            None,
            "pad too wide"
        );
        assert_eq!(expand("\"K_{j:02d}\"", "i", 1, 3), None, "another variable");
        assert_eq!(expand("\"K_{i}_{i}\"", "i", 1, 3), None, "two fields");
    }
}
