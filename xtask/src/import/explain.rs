//! Recorded explanations: `fixes:` lines of the form
//! `<source> <claim> <targets>[; <claim> <targets>]: <why>` (source `example` or `workbook`)
//! that say which difference from KIS's example or workbook the catalog keeps on purpose, and
//! why. Each claim names exactly what it explains (a
//! field, input, TR ID or column, or `<block>.*` for every field of one response block), so a
//! difference is explained only by a line naming it, and a line that explains nothing is stale.

use kis_codegen::model::Endpoint;

use super::Source;

/// What a recorded line says about the example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The example lists response fields the catalog does not have.
    AddsField,
    /// The catalog has response fields the example does not list.
    OmitsField,
    /// The example labels a response field differently; the catalog's label stands.
    LabelsField,
    /// The example sends request keys the catalog does not have.
    AddsInput,
    /// The catalog has request keys the example does not send.
    OmitsInput,
    /// The example marks an input [필수] that the catalog keeps optional.
    RequiresInput,
    /// The example sets TR IDs the catalog does not know.
    SendsTrId,
    /// The catalog has TR IDs the example does not set.
    OmitsTrId,
    /// The example's realtime column list has columns the catalog does not.
    AddsColumn,
    /// The catalog has realtime columns the example does not list.
    OmitsColumn,
    /// The example orders the realtime columns differently (named: the first that differs).
    ReordersColumn,
    /// The example calls another path or method.
    UsesPath,
    /// The example repository has no folder for the endpoint.
    HasNoFolder,
    /// The workbook has no sheet for the endpoint.
    HasNoSheet,
}

impl Claim {
    const ALL: [Claim; 14] = [
        Claim::AddsField,
        Claim::OmitsField,
        Claim::LabelsField,
        Claim::AddsInput,
        Claim::OmitsInput,
        Claim::RequiresInput,
        Claim::SendsTrId,
        Claim::OmitsTrId,
        Claim::AddsColumn,
        Claim::OmitsColumn,
        Claim::ReordersColumn,
        Claim::UsesPath,
        Claim::HasNoFolder,
        Claim::HasNoSheet,
    ];

    /// The words of the claim in a recorded line.
    pub fn phrase(self) -> &'static str {
        match self {
            Claim::AddsField => "adds field",
            Claim::OmitsField => "omits field",
            Claim::LabelsField => "labels field",
            Claim::AddsInput => "adds input",
            Claim::OmitsInput => "omits input",
            Claim::RequiresInput => "requires input",
            Claim::SendsTrId => "sends tr_id",
            Claim::OmitsTrId => "omits tr_id",
            Claim::AddsColumn => "adds column",
            Claim::OmitsColumn => "omits column",
            Claim::ReordersColumn => "reorders column",
            Claim::UsesPath => "uses path",
            Claim::HasNoFolder => "has no folder",
            Claim::HasNoSheet => "has no sheet",
        }
    }

    /// Whether a line about `source` may make the claim (a folder is the examples', a sheet
    /// the workbook's).
    fn applies_to(self, source: Source) -> bool {
        match self {
            Claim::HasNoFolder => source == Source::Example,
            Claim::HasNoSheet => source == Source::Workbook,
            _ => true,
        }
    }

    /// Whether the claim names things (all but `has no folder` and `has no sheet`).
    fn takes_targets(self) -> bool {
        !matches!(self, Claim::HasNoFolder | Claim::HasNoSheet)
    }
}

/// The thing a difference is about, as an explanation would name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// What the example does.
    pub claim: Claim,
    /// The field, input, TR ID, column or path (empty for `has no folder`).
    pub name: String,
    /// Response blocks holding the field (`body` for top-level fields), for `<block>.*`.
    pub blocks: Vec<String>,
}

impl Subject {
    /// A subject not held in a block.
    pub fn new(claim: Claim, name: &str) -> Subject {
        Subject {
            claim,
            name: name.to_string(),
            blocks: Vec::new(),
        }
    }
}

/// One thing a claim names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A name (compared without case).
    Name(String),
    /// Every field of a response block: `<block>.*`.
    Block(String),
}

impl Target {
    fn parse(text: &str) -> Target {
        match text.strip_suffix(".*") {
            Some(block) => Target::Block(block.to_string()),
            None => Target::Name(text.to_string()),
        }
    }

    fn shown(&self) -> String {
        match self {
            Target::Name(n) => n.clone(),
            Target::Block(b) => format!("{b}.*"),
        }
    }

    fn covers(&self, subject: &Subject) -> bool {
        match self {
            Target::Name(n) => n.eq_ignore_ascii_case(&subject.name),
            Target::Block(b) => subject.blocks.iter().any(|x| x.eq_ignore_ascii_case(b)),
        }
    }
}

/// One recorded line, parsed.
#[derive(Debug, Clone)]
struct Line {
    why: String,
    /// Each claim with its targets; a claim without targets has one empty-name target.
    clauses: Vec<(Claim, Vec<Target>)>,
}

/// The recorded explanations of one endpoint about one source, and which of them explained
/// something.
#[derive(Debug)]
pub struct Explanations {
    source: Source,
    lines: Vec<Line>,
    /// Per line, per clause, per target: whether it explained a difference.
    used: Vec<Vec<Vec<bool>>>,
    /// Lines that start like an explanation but cannot be read.
    pub malformed: Vec<String>,
}

/// Whether `text` is a recorded line about `source` (it starts with the source's word).
fn is_about(text: &str, source: Source) -> bool {
    text.trim_start()
        .strip_prefix(source.tag())
        .is_some_and(|rest| rest.starts_with(' '))
}

/// Reads one `<source> ...` line; `Err` says what is wrong with it.
fn parse_line(text: &str, source: Source) -> Result<Line, String> {
    let rest = text
        .trim_start()
        .strip_prefix(source.tag())
        .unwrap_or_default()
        .trim_start();
    let Some((head, why)) = rest.split_once(':') else {
        return Err("no ':' before the reason".to_string());
    };
    let why = why.trim();
    if why.is_empty() {
        return Err("no reason after ':'".to_string());
    }
    let mut clauses = Vec::new();
    for clause in head.split(';') {
        let clause = clause.trim();
        let claims = Claim::ALL.into_iter().filter(|c| c.applies_to(source));
        let Some(claim) = claims
            .clone()
            .find(|c| clause == c.phrase() || clause.starts_with(&format!("{} ", c.phrase())))
        else {
            let known: Vec<&str> = claims.map(|c| c.phrase()).collect();
            return Err(format!(
                "'{clause}' is not a claim (one of: {})",
                known.join(", ")
            ));
        };
        let targets: Vec<Target> = clause[claim.phrase().len()..]
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Target::parse)
            .collect();
        match (claim.takes_targets(), targets.is_empty()) {
            (true, true) => return Err(format!("'{}' names nothing", claim.phrase())),
            (false, false) => return Err(format!("'{}' takes no names", claim.phrase())),
            (false, true) => clauses.push((claim, vec![Target::Name(String::new())])),
            (true, false) => clauses.push((claim, targets)),
        }
    }
    Ok(Line {
        why: why.to_string(),
        clauses,
    })
}

impl Explanations {
    /// The explanation lines about `source` among an endpoint's `fixes`.
    pub fn of(e: &Endpoint, source: Source) -> Explanations {
        let mut lines = Vec::new();
        let mut malformed = Vec::new();
        for text in &e.fixes {
            if !is_about(text, source) {
                continue;
            }
            match parse_line(text, source) {
                Ok(line) => lines.push(line),
                Err(why) => malformed.push(format!("\"{}\": {why}", super::shorten(text))),
            }
        }
        let used = lines
            .iter()
            .map(|l| {
                l.clauses
                    .iter()
                    .map(|(_, t)| vec![false; t.len()])
                    .collect()
            })
            .collect();
        Explanations {
            source,
            lines,
            used,
            malformed,
        }
    }

    /// The reason recorded for `subject`, marking the line's target as used. A line naming the
    /// subject wins over a `<block>.*`, so a name never goes stale behind a block.
    pub fn explain(&mut self, subject: &Subject) -> Option<String> {
        let by_name = |t: &Target| matches!(t, Target::Name(_)) && t.covers(subject);
        let by_block = |t: &Target| t.covers(subject);
        for wanted in [&by_name as &dyn Fn(&Target) -> bool, &by_block] {
            for (li, line) in self.lines.iter().enumerate() {
                for (ci, (claim, targets)) in line.clauses.iter().enumerate() {
                    if *claim != subject.claim {
                        continue;
                    }
                    if let Some(ti) = targets.iter().position(wanted) {
                        self.used[li][ci][ti] = true;
                        return Some(super::shorten(&line.why));
                    }
                }
            }
        }
        None
    }

    /// Claims that explained no difference, as `<source> <claim> <target>`.
    pub fn stale(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (li, line) in self.lines.iter().enumerate() {
            for (ci, (claim, targets)) in line.clauses.iter().enumerate() {
                for (ti, t) in targets.iter().enumerate() {
                    if !self.used[li][ci][ti] {
                        let shown = t.shown();
                        out.push(
                            format!("{} {} {shown}", self.source.tag(), claim.phrase())
                                .trim_end()
                                .to_string(),
                        );
                    }
                }
            }
        }
        out
    }
}

/// What an entry has, by the kind of thing a claim names.
fn has(e: &Endpoint, claim: Claim, target: &Target) -> bool {
    let fields = || {
        e.response
            .body
            .iter()
            .chain(e.response.blocks.iter().flat_map(|b| &b.fields))
            .chain(e.realtime.iter().flat_map(|r| &r.columns))
    };
    let name = match target {
        Target::Block(b) => {
            return b == "body" || e.response.blocks.iter().any(|x| x.wire == *b);
        }
        Target::Name(n) => n,
    };
    let same = |x: &str| x.eq_ignore_ascii_case(name);
    match claim {
        Claim::AddsField | Claim::OmitsField | Claim::LabelsField => {
            fields().any(|f| same(&f.wire))
        }
        Claim::AddsColumn | Claim::OmitsColumn | Claim::ReordersColumn => e
            .realtime
            .iter()
            .flat_map(|r| &r.columns)
            .any(|f| same(&f.wire)),
        Claim::AddsInput | Claim::OmitsInput | Claim::RequiresInput => {
            e.request.iter().any(|f| same(&f.wire))
        }
        Claim::SendsTrId | Claim::OmitsTrId => e.tr.variants.iter().any(|v| {
            same(&v.real)
                || v.demo.as_deref().is_some_and(same)
                || v.aliases.iter().any(|a| same(&a.tr_id))
        }),
        Claim::UsesPath | Claim::HasNoFolder | Claim::HasNoSheet => true,
    }
}

/// Problems an entry's explanation lines (about either source) show without reading the
/// source: lines that cannot be read,
/// names the entry lacks where the claim says it has them (`omits`, `labels`, `requires`,
/// `reorders`, a `<block>.*`), and names it has where the claim says it lacks them (`adds`,
/// `sends`).
pub fn check(e: &Endpoint) -> Vec<String> {
    let mut out = Vec::new();
    for source in [Source::Example, Source::Workbook] {
        check_source(e, source, &mut out);
    }
    out
}

fn check_source(e: &Endpoint, source: Source, out: &mut Vec<String>) {
    let why = Explanations::of(e, source);
    out.extend(why.malformed.iter().cloned());
    for line in &why.lines {
        for (claim, targets) in &line.clauses {
            let lacks = matches!(
                claim,
                Claim::AddsField | Claim::AddsInput | Claim::SendsTrId | Claim::AddsColumn
            );
            for t in targets {
                let found = has(e, *claim, t);
                let wanted = if matches!(t, Target::Block(_)) {
                    true
                } else {
                    !lacks
                };
                if found != wanted {
                    out.push(format!(
                        "\"{} {} {}\": the entry {} {}",
                        source.tag(),
                        claim.phrase(),
                        t.shown(),
                        if found { "has" } else { "has no" },
                        t.shown()
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_as_clauses_with_targets_and_a_reason() {
        let line = parse_line(
            "example omits field a, output2.*; adds field b: the portal page",
            Source::Example,
        )
        .expect("a line");
        assert_eq!(line.why, "the portal page");
        assert_eq!(line.clauses.len(), 2);
        assert_eq!(line.clauses[0].0, Claim::OmitsField);
        assert_eq!(
            line.clauses[0].1,
            vec![Target::Name("a".into()), Target::Block("output2".into())]
        );
        assert_eq!(
            line.clauses[1],
            (Claim::AddsField, vec![Target::Name("b".into())])
        );
        let folder = parse_line(
            "example has no folder: only the portal lists it",
            Source::Example,
        )
        .expect("a line");
        assert_eq!(folder.clauses[0].0, Claim::HasNoFolder);
    }

    #[test]
    fn a_line_is_read_for_its_own_source_only() {
        let line = parse_line("workbook has no sheet: not in the export", Source::Workbook)
            .expect("a line");
        assert_eq!(line.clauses[0].0, Claim::HasNoSheet);
        let err = parse_line("workbook has no folder: x", Source::Workbook)
            .expect_err("a folder is the examples'");
        let known = err.split("one of:").nth(1).unwrap_or_default();
        assert!(
            known.contains("has no sheet") && !known.contains("has no folder"),
            "{err}"
        );
        assert!(is_about("workbook omits field a: b", Source::Workbook));
        assert!(!is_about("workbook omits field a: b", Source::Example));
        assert!(!is_about("workbookish omits field a: b", Source::Workbook));
    }

    #[test]
    fn unreadable_lines_say_why() {
        for (text, says) in [
            ("example omits field a", "no ':'"),
            ("example omits field a:  ", "no reason"),
            ("example drops field a: why", "not a claim"),
            ("example omits field : why", "names nothing"),
            ("example has no folder x: why", "takes no names"),
        ] {
            let err = parse_line(text, Source::Example).expect_err(text);
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn a_name_wins_over_a_block_and_unused_targets_are_stale() {
        let mut why = Explanations {
            source: Source::Example,
            lines: vec![
                parse_line("example omits field output2.*: the block", Source::Example)
                    .expect("a line"),
                parse_line(
                    "example omits field pbid2, pask2: the names",
                    Source::Example,
                )
                .expect("a line"),
            ],
            used: vec![vec![vec![false]], vec![vec![false, false]]],
            malformed: Vec::new(),
        };
        let mut s = Subject::new(Claim::OmitsField, "pbid2");
        s.blocks = vec!["output2".into()];
        assert_eq!(why.explain(&s).as_deref(), Some("the names"));
        assert_eq!(
            why.stale(),
            ["example omits field output2.*", "example omits field pask2"]
        );
        s.name = "vbid2".into();
        assert_eq!(why.explain(&s).as_deref(), Some("the block"));
        assert_eq!(why.stale(), ["example omits field pask2"]);
        let other = Subject::new(Claim::LabelsField, "pask2");
        assert_eq!(why.explain(&other), None, "another claim explains nothing");
    }

    #[test]
    fn a_block_target_covers_the_fields_of_that_block_only() {
        let t = Target::parse("output2.*");
        let mut s = Subject::new(Claim::OmitsField, "pbid2");
        s.blocks = vec!["output2".into()];
        assert!(t.covers(&s));
        s.blocks = vec!["output1".into()];
        assert!(!t.covers(&s));
        assert!(
            Target::parse("PBID2").covers(&s),
            "names compare without case"
        );
    }
}
