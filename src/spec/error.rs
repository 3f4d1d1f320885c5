//! Errors of the spec layer, and the source bookkeeping that gives them a file and line.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

/// Where an error is: file, 1-based line, and the dotted path of the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file as given (or the built-in model's name).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// Dotted path of the offending key, e.g. `services.order.operations.place.steps[0].call`.
    pub field: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.field)
    }
}

/// Why a scenario could not be loaded. Every message is one line: errors in a file are
/// `{file}:{line}: {field}: {message}`, errors in a command-line edit name the flag
/// (`--duration: ...`, `--set PATH=VALUE: ...`).
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The scenario file could not be read: check the path and its permissions.
    #[error("{file}: cannot read file: {message}")]
    Io {
        /// The path as given.
        file: String,
        /// The operating system's reason.
        message: String,
    },
    /// The text is not valid TOML, or a key is misspelled or holds the wrong type of
    /// value: fix the key or value at the location shown.
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: Location,
        /// What toml reported, on one line.
        message: String,
    },
    /// A required key is absent: add it (the message names it).
    #[error("{at}: {message}")]
    Missing {
        /// The table that lacks the key.
        at: Location,
        /// Which key is missing.
        message: String,
    },
    /// A value is malformed or out of range (a duration without a unit, a probability
    /// outside [0, 1], an invalid distribution parameter, ...): correct the value.
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A name refers to nothing (operation, service, model, distribution, balancer,
    /// protocol): use one of the valid choices listed in the message.
    #[error("{at}: {message}")]
    Unknown {
        /// Where.
        at: Location,
        /// The unknown name and the valid choices.
        message: String,
    },
    /// Two things have the same name or endpoints (flows, links): rename or remove one.
    #[error("{at}: {message}")]
    Duplicate {
        /// The second occurrence.
        at: Location,
        /// What is duplicated.
        message: String,
    },
    /// Synchronous calls form a cycle, which would recurse forever: break the cycle.
    #[error("{at}: {message}")]
    Cycle {
        /// The call that closes the cycle.
        at: Location,
        /// The cycle, e.g. `synchronous call cycle: a.x -> b.y -> a.x`.
        message: String,
    },
    /// A command-line override (`--duration`, `--replications`, `--max-events`) is
    /// malformed or out of range: fix the flag's value.
    #[error("{flag}: {message}")]
    Flag {
        /// The flag, e.g. `--duration` (or `--duration/--replications`).
        flag: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A `--set PATH=VALUES` is malformed or its path names no key of the file: fix the
    /// argument.
    #[error("--set {arg}: {message}")]
    Set {
        /// The argument (or the one point `PATH=VALUE` that could not be written).
        arg: String,
        /// What is wrong.
        message: String,
    },
    /// A sweep was given no `--set`, or more than two: give one or two.
    #[error("--set: give one or two parameters to sweep")]
    SetCount,
    /// A swept value makes the scenario invalid (the inner error says where): change
    /// the swept values.
    #[error("--set {sets}: {error}")]
    SweepPoint {
        /// The point's settings, `PATH=VALUE --set PATH=VALUE`.
        sets: String,
        /// Why the point's scenario does not load.
        error: Box<SpecError>,
    },
    /// The scenario has nothing to run: add at least one service and one `[[workload]]`.
    #[error("{at}: {message}")]
    Empty {
        /// The file (line of the enclosing table).
        at: Location,
        /// What is missing.
        message: String,
    },
}

impl SpecError {
    /// The location of the error in a file, if it has one (not for [`SpecError::Io`] or an
    /// error of a command-line flag; a sweep point's is its inner error's).
    pub fn location(&self) -> Option<&Location> {
        match self {
            SpecError::Io { .. }
            | SpecError::Flag { .. }
            | SpecError::Set { .. }
            | SpecError::SetCount => None,
            SpecError::SweepPoint { error, .. } => error.location(),
            SpecError::Syntax { at, .. }
            | SpecError::Missing { at, .. }
            | SpecError::Invalid { at, .. }
            | SpecError::Unknown { at, .. }
            | SpecError::Duplicate { at, .. }
            | SpecError::Cycle { at, .. }
            | SpecError::Empty { at, .. } => Some(at),
        }
    }
}

/// The kind of a located error (all variants but `Io`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Syntax,
    Missing,
    Invalid,
    Unknown,
    Duplicate,
    Cycle,
    Empty,
}

impl Kind {
    pub(crate) fn at(self, mut at: Location, message: impl Into<String>) -> SpecError {
        let mut message = one_line(&message.into());
        if message.is_empty() {
            message = "invalid TOML here (a missing value, an unclosed bracket or quote, or a stray character?)".to_owned();
        }
        at.field = escape_controls(&at.field);
        match self {
            Kind::Syntax => SpecError::Syntax { at, message },
            Kind::Missing => SpecError::Missing { at, message },
            Kind::Invalid => SpecError::Invalid { at, message },
            Kind::Unknown => SpecError::Unknown { at, message },
            Kind::Duplicate => SpecError::Duplicate { at, message },
            Kind::Cycle => SpecError::Cycle { at, message },
            Kind::Empty => SpecError::Empty { at, message },
        }
    }
}

/// Index of a source file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId(pub usize);

/// A TOML text that values came from.
pub(crate) struct Source {
    /// Name used in messages.
    pub display: String,
    /// The text.
    pub text: String,
    /// Directory that relative paths in this file are resolved against.
    pub dir: PathBuf,
}

/// All files read for one scenario (the scenario, then models).
pub(crate) struct Sources {
    pub files: Vec<Source>,
}

impl Sources {
    pub(crate) fn add(&mut self, source: Source) -> FileId {
        self.files.push(source);
        FileId(self.files.len() - 1)
    }

    pub(crate) fn get(&self, id: FileId) -> &Source {
        &self.files[id.0]
    }

    /// A location in `file` at byte `span` (line 1 when unknown).
    pub(crate) fn loc(&self, file: FileId, span: &Option<Range<usize>>, field: &str) -> Location {
        let src = self.get(file);
        let line = span.as_ref().map_or(1, |s| line_of(&src.text, s.start));
        Location {
            file: src.display.clone(),
            line,
            field: field.to_owned(),
        }
    }

    /// Builds an error of `kind` at `span` in `file`.
    pub(crate) fn err(
        &self,
        kind: Kind,
        file: FileId,
        span: &Option<Range<usize>>,
        field: &str,
        message: impl Into<String>,
    ) -> SpecError {
        kind.at(self.loc(file, span, field), message)
    }

    /// Converts a toml deserialization error into a one-line located error.
    pub(crate) fn toml_error(&self, file: FileId, e: &toml::de::Error) -> SpecError {
        let text = &self.get(file).text;
        let span = e.span();
        let field = span
            .as_ref()
            .map_or_else(|| "(file)".to_owned(), |s| field_at(text, s.clone()));
        let msg = e
            .message()
            .replace("expected i64", "expected an integer")
            .replace("expected f64", "expected a number");
        self.err(Kind::Syntax, file, &span, &field, msg)
    }
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Joins a multi-line message into one line, escaping any other control characters
/// (names from quoted TOML keys may contain them).
pub(crate) fn one_line(msg: &str) -> String {
    let joined = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    escape_controls(&joined)
}

fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// "valid choices: a, b, c" from names, sorted and truncated to ten.
pub(crate) fn choices<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = names.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    if v.is_empty() {
        return "there are none".to_owned();
    }
    let more = v.len() > 10;
    v.truncate(10);
    let mut s = format!("valid choices: {}", v.join(", "));
    if more {
        s.push_str(", ...");
    }
    s
}

/// Best-effort dotted key path for a toml error at `span`: the enclosing `[table]`
/// header, the key that starts the line, and the key just before the error.
fn field_at(text: &str, span: Range<usize>) -> String {
    let bytes = text.as_bytes();
    let start = span.start.min(bytes.len());
    let line_start = bytes[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| start + i);
    let line = String::from_utf8_lossy(&bytes[line_start..line_end]);
    if let Some(h) = header_path(&line) {
        return h.0;
    }
    // Enclosing header, with an index for arrays of tables, and where its body starts.
    let mut table = String::new();
    let mut section_start = 0;
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut offset = 0;
    for l in text[..line_start.min(text.len())].split_inclusive('\n') {
        offset += l.len();
        if let Some((path, is_array)) = header_path(l) {
            section_start = offset;
            if is_array {
                let n = match counts.iter_mut().find(|(p, _)| *p == path) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        counts.push((path.clone(), 0));
                        0
                    }
                };
                table = format!("{path}[{n}]");
            } else {
                table = path;
            }
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if !table.is_empty() {
        parts.push(table);
    }
    // The keys of the inline tables and arrays open at the error, then the key at it.
    let before = text.get(section_start.min(start)..start).unwrap_or("");
    let scan = scan_nesting(before);
    parts.extend(scan.path);
    let at_err = String::from_utf8_lossy(&bytes[start..span.end.clamp(start, line_end)])
        .trim()
        .to_owned();
    if scan.key_position && is_bare_key(&at_err) {
        parts.push(at_err);
    } else if let Some(k) = scan.pending {
        parts.push(k);
    }
    if parts.is_empty() {
        "(top level)".to_owned()
    } else {
        parts.join(".")
    }
}

/// What [`scan_nesting`] found before an error.
struct Nesting {
    /// Keys of the open inline tables and arrays, with array indices ("steps[0]", "retry").
    path: Vec<String>,
    /// A key whose value is being written (`key = ` then the error), if any.
    pending: Option<String>,
    /// Whether the text ends where a key is expected (not inside an array, not after `=`).
    key_position: bool,
}

/// Follows the inline tables and arrays opened in `text` (the body of a table up to an
/// error), skipping strings and comments. Best effort: it only names a path in messages.
fn scan_nesting(text: &str) -> Nesting {
    struct Frame {
        key: Option<String>,
        index: Option<usize>,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut key: Option<String> = None;
    let mut after_eq = false;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let in_array = |stack: &[Frame]| stack.last().is_some_and(|f| f.index.is_some());
    while i < chars.len() {
        let c = chars[i];
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '\n' if stack.is_empty() => {
                key = None;
                after_eq = false;
            }
            '"' | '\'' => {
                let triple = chars.get(i + 1) == Some(&c) && chars.get(i + 2) == Some(&c);
                let mut j = i + if triple { 3 } else { 1 };
                let body_start = j;
                loop {
                    match chars.get(j) {
                        None => break,
                        Some('\\') if c == '"' => j += 2,
                        Some(&d) if d == c => {
                            if !triple {
                                break;
                            }
                            if chars.get(j + 1) == Some(&c) && chars.get(j + 2) == Some(&c) {
                                break;
                            }
                            j += 1;
                        }
                        Some('\n') if !triple => break,
                        Some(_) => j += 1,
                    }
                }
                let body: String = chars[body_start..j.min(chars.len())].iter().collect();
                if after_eq || in_array(&stack) {
                    after_eq = false;
                    key = None;
                } else {
                    key = Some(body);
                }
                i = j + if triple { 3 } else { 1 };
                continue;
            }
            '=' => after_eq = true,
            '{' | '[' => {
                let k = if after_eq { key.take() } else { None };
                stack.push(Frame {
                    key: k,
                    index: (c == '[').then_some(0),
                });
                after_eq = false;
                key = None;
            }
            '}' | ']' => {
                stack.pop();
                after_eq = false;
                key = None;
            }
            ',' => {
                if let Some(Frame { index: Some(n), .. }) = stack.last_mut() {
                    *n += 1;
                }
                after_eq = false;
                key = None;
            }
            c if c.is_whitespace() => {}
            _ => {
                let mut j = i;
                while j < chars.len()
                    && !chars[j].is_whitespace()
                    && !matches!(
                        chars[j],
                        '=' | ',' | '{' | '}' | '[' | ']' | '#' | '"' | '\''
                    )
                {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                if after_eq || in_array(&stack) {
                    after_eq = false;
                    key = None;
                } else {
                    // A dotted key may be followed by a quoted part: keep it simple.
                    key = Some(word.trim_matches('.').to_owned());
                }
                i = j;
                continue;
            }
        }
        i += 1;
    }
    let mut path: Vec<String> = Vec::new();
    for f in &stack {
        let idx = f.index.map(|n| format!("[{n}]")).unwrap_or_default();
        match (&f.key, path.last_mut()) {
            (Some(k), _) => path.push(format!("{k}{idx}")),
            (None, Some(last)) => last.push_str(&idx),
            (None, None) if !idx.is_empty() => path.push(idx),
            (None, None) => {}
        }
    }
    Nesting {
        key_position: !after_eq && !in_array(&stack),
        pending: if after_eq { key } else { None },
        path,
    }
}

/// If `line` is a `[table]` or `[[array]]` header, its path and whether it is an array.
fn header_path(line: &str) -> Option<(String, bool)> {
    let t = line.split('#').next().unwrap_or("").trim();
    let (inner, is_array) = if let Some(x) = t.strip_prefix("[[").and_then(|x| x.strip_suffix("]]"))
    {
        (x, true)
    } else {
        (t.strip_prefix('[')?.strip_suffix(']')?, false)
    };
    let path: Vec<&str> = inner
        .split('.')
        .map(|p| p.trim().trim_matches('"'))
        .collect();
    if path.iter().all(|p| is_bare_key(p)) {
        Some((path.join("."), is_array))
    } else {
        None
    }
}

fn is_bare_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_follow_headers_and_keys() {
        let text = "[a.b]\nx = 1\n\n[[w]]\ny = 2\n[[w]]\nz = { p = 3, q = 4 }\n";
        let at = |needle: &str| {
            let i = text.find(needle).unwrap();
            field_at(text, i..i + needle.len())
        };
        assert_eq!(at("x"), "a.b.x");
        assert_eq!(at("2"), "w[0].y");
        assert_eq!(at("4"), "w[1].z.q");
        assert_eq!(at("p"), "w[1].z.p");
        assert_eq!(at("[a.b]"), "a.b");

        let text = "[s]\nsteps = [ { call = \"a.b\" },\n  { call = \"c{d\", retry = { atempts = 3 } } ]\n# { [\nn = 'x'\n";
        let at = |needle: &str| {
            let i = text.find(needle).unwrap();
            field_at(text, i..i + needle.len())
        };
        assert_eq!(at("atempts"), "s.steps[1].retry.atempts");
        assert_eq!(at("3"), "s.steps[1].retry.atempts");
        assert_eq!(at("'x'"), "s.n");
    }

    #[test]
    fn messages_are_one_printable_line() {
        let e = Kind::Invalid.at(
            Location {
                file: "f".into(),
                line: 1,
                field: "a\nb".into(),
            },
            "x\r\ny\tz",
        );
        assert_eq!(e.to_string(), "f:1: a\\nb: x; y\\tz");
        let e = Kind::Syntax.at(
            Location {
                file: "f".into(),
                line: 1,
                field: "a".into(),
            },
            "\n",
        );
        assert!(e.to_string().starts_with("f:1: a: invalid TOML here"));
    }

    #[test]
    fn choices_are_sorted_and_truncated() {
        assert_eq!(choices(["b", "a"]), "valid choices: a, b");
        let many: Vec<String> = (0..12).map(|i| format!("n{i:02}")).collect();
        assert!(choices(many.iter().map(String::as_str)).ends_with("n09, ..."));
    }
}
