//! Escaping of text that comes from the input, one function per output syntax.
//!
//! Names of services, operations, brokers, queues, topics and sagas are restricted by
//! the loader to letters, digits, `-` and `_`, but flow, fault, variant and SLO names,
//! the scenario name (the file stem) and the file path can hold any character TOML
//! allows: HTML, Markdown link syntax, pipes, backticks, newlines, escape sequences.
//! Every writer of `report/` passes such text through one of these functions; none
//! keeps a copy of its own.
//!
//! The common step is [`visible`]: a control character (C0, DEL, C1, and the Unicode
//! bidirectional overrides that reorder what a reader sees) becomes its Rust escape,
//! `\u{1b}`, so nothing can move the cursor, retitle a terminal window or break a line.

/// Whether `c` must not reach an output raw: control characters and the bidirectional
/// embedding, override and isolate characters.
fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_visible(out: &mut String, c: char) {
    use std::fmt::Write;
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// `s` with every control character (newlines included) written as `\u{..}`: safe on
/// a terminal, and always one line. Text without control characters is unchanged.
pub fn visible(s: &str) -> String {
    visible_except(s, &[])
}

/// [`visible`], keeping the characters of `keep` raw.
fn visible_except(s: &str, keep: &[char]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden(c) && !keep.contains(&c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Text for a terminal: [`visible`], but multi-line text keeps its line breaks
/// (for whole reports whose pieces were escaped with [`visible`] already).
pub fn terminal_lines(s: &str) -> String {
    visible_except(s, &['\n'])
}

/// A verbatim block in a file (a Markdown code block): [`visible`], keeping line
/// breaks and tabs.
pub fn block(s: &str) -> String {
    visible_except(s, &['\n', '\r', '\t'])
}

/// HTML text or a double-quoted attribute value: `& < > " '` as entities, control
/// characters other than tab and line breaks made [`visible`].
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if is_hidden(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Markdown text that may begin a line: a heading, a paragraph (or a line of one), a
/// list item. Everything [`markdown_inline`] escapes, and what would start a block
/// there: a leading `#`, `>`, `-` or `+` (list, thematic break), a line of `=` or `-`
/// (setext underline), `1.` or `1)` (ordered list), and a closing `#` sequence of a
/// heading.
pub fn markdown(s: &str) -> String {
    markdown_in(s, true)
}

/// Markdown text after other text on its line: a table cell, emphasis, link text,
/// image alt text. Control characters (line breaks included) are made [`visible`];
/// `<` is an entity, so no tag, comment or autolink starts, and `&` is one before a
/// letter, a digit or `#` (a would-be entity); `` ` ``, `[`, `]`, `|` and `~` are
/// backslash-escaped everywhere (no code span, link, image, footnote or strikethrough;
/// `[x](javascript:...)` stays text; a pipe never splits a cell); `*` and `_` unless
/// they cannot delimit emphasis (a run with whitespace on both sides, or `_` inside a
/// word, as in `checkout_guarded`); `\` unless a letter, digit or space follows it; `!`
/// at the end (the writer's `[` may follow). Parentheses stay as they are: they are
/// special only right after `]`, which is escaped.
pub fn markdown_inline(s: &str) -> String {
    markdown_in(s, false)
}

fn markdown_in(s: &str, line_start: bool) -> String {
    let v: Vec<char> = visible(s).chars().collect();
    let blank = |c: Option<char>| c.is_some_and(|c| c == ' ' || c == '\t');
    // Where a block marker would be: the first character after leading blanks.
    let lead = v.iter().take_while(|&&c| blank(Some(c))).count();
    let first = |i: usize| line_start && i == lead;
    let only = |m: char| v[lead..].iter().all(|&c| c == m || blank(Some(c)));
    let list_dot = if line_start {
        ordered_marker(&v, lead)
    } else {
        None
    };
    let mut out = String::with_capacity(v.len() + 8);
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        if matches!(c, '*' | '_' | '#') {
            // A delimiter run is escaped (or not) as a whole.
            let end = i + v[i..].iter().take_while(|&&x| x == c).count();
            let (prev, next) = (i.checked_sub(1).map(|j| v[j]), v.get(end).copied());
            let spaced = blank(prev) && blank(next);
            let word = |x: Option<char>| x.is_some_and(char::is_alphanumeric);
            let raw = match c {
                '*' => spaced,
                '_' => spaced || (word(prev) && word(next)),
                // A closing sequence: after a blank, nothing but blanks after it.
                _ => !(line_start && blank(prev) && v[end..].iter().all(|&x| blank(Some(x)))),
            };
            let raw = raw && !first(i);
            for _ in i..end {
                if !raw {
                    out.push('\\');
                }
                out.push(c);
            }
            i = end;
            continue;
        }
        let next = v.get(i + 1).copied();
        match c {
            '<' => out.push_str("&lt;"),
            '&' if next.map_or(true, |n| n.is_ascii_alphanumeric() || n == '#') => {
                out.push_str("&amp;")
            }
            '>' if first(i) => out.push_str("&gt;"),
            _ => {
                let escape = match c {
                    '`' | '[' | ']' | '|' | '~' => true,
                    '\\' => next.map_or(true, |n| n.is_ascii_punctuation()),
                    '!' => next.is_none(),
                    '+' => first(i) && (next.is_none() || blank(next)),
                    '-' => first(i) && (next.is_none() || blank(next) || only('-')),
                    '=' => first(i) && only('='),
                    '.' | ')' => list_dot == Some(i),
                    _ => false,
                };
                if escape {
                    out.push('\\');
                }
                out.push(c);
            }
        }
        i += 1;
    }
    out
}

/// The index of the `.` or `)` of an ordered-list marker at `lead` (1 to 9 digits, then
/// `.` or `)`, then a blank or the end), if there is one.
fn ordered_marker(v: &[char], lead: usize) -> Option<usize> {
    let digits = v[lead..].iter().take_while(|c| c.is_ascii_digit()).count();
    let at = lead + digits;
    let ok = (1..=9).contains(&digits)
        && matches!(v.get(at), Some('.' | ')'))
        && v.get(at + 1).map_or(true, |&c| c == ' ' || c == '\t');
    ok.then_some(at)
}

/// A fence for a Markdown code block around `body`: longer than any run of backticks
/// in it, so the body cannot close the block (inside, Markdown renders nothing).
pub fn markdown_fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, with
/// quotes doubled; control characters other than `\n` made [`visible`] (so `--csv -`
/// is safe on a terminal).
pub fn csv(s: &str) -> String {
    let s = visible_except(s, &['\n']);
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Text in a double-quoted Mermaid label: [`visible`], then entity codes for the
/// characters Mermaid, its HTML labels or its Markdown strings would interpret (`#`
/// starts an entity code; brackets, so no link can form).
pub fn mermaid(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in visible(s).chars() {
        match ch {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            // No Markdown link syntax, should a renderer look for it in labels.
            '[' => out.push_str("#91;"),
            ']' => out.push_str("#93;"),
            c => out.push(c),
        }
    }
    out
}

/// Text in a double-quoted DOT string: [`visible`], then `"` and `\` backslash-escaped
/// (DOT interprets backslash escapes in labels).
pub fn dot(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in visible(s).chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}

/// `a` as one shell word: as is when it is plain (`[A-Za-z0-9-_./=:,+@%]`), else in
/// single quotes, or in ANSI-C quoting (`$'\x1b'`) when it holds a control character,
/// so a command line stays one printable line.
pub fn shell_word(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        a.to_string()
    } else if a.chars().any(char::is_control) {
        let mut q = String::from("$'");
        for c in a.chars() {
            match c {
                '\'' | '\\' => {
                    q.push('\\');
                    q.push(c);
                }
                c if c.is_control() && (c as u32) < 0x100 => {
                    q.push_str(&format!("\\x{:02x}", c as u32));
                }
                c if c.is_control() => q.push_str(&format!("\\u{:04x}", c as u32)),
                c => q.push(c),
            }
        }
        q.push('\'');
        q
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str =
        "<script>x</script> [a](javascript:alert(1)) | `b` \u{1b}]0;t\u{7} \u{1b}[2J\nz";

    #[test]
    fn visible_leaves_no_control_character() {
        let v = visible(EVIL);
        assert!(!v.chars().any(char::is_control), "{v}");
        assert!(v.contains("\\u{1b}]0;t\\u{7}") && v.contains("\\u{a}z"));
        assert_eq!(visible("plain name-1 ±%"), "plain name-1 ±%");
        assert_eq!(visible("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(terminal_lines("a\nb\u{1b}"), "a\nb\\u{1b}");
    }

    /// Whether `needle` occurs in `md` not preceded by a backslash escape.
    fn unescaped(md: &str, needle: &str) -> bool {
        md.match_indices(needle)
            .any(|(i, _)| md[..i].chars().rev().take_while(|&c| c == '\\').count() % 2 == 0)
    }

    #[test]
    fn markdown_has_no_tag_link_or_cell_break() {
        for m in [markdown(EVIL), markdown_inline(EVIL)] {
            assert!(
                !m.contains('<') && !unescaped(&m, "](") && !m.contains('\n'),
                "{m}"
            );
            assert!(!m.chars().any(char::is_control));
            assert_eq!(m.matches('|').count(), m.matches("\\|").count());
        }
        assert_eq!(markdown("a_b & c"), "a_b & c");
        assert_eq!(markdown_fence("x ``` y"), "````");
    }

    #[test]
    fn markdown_escapes_only_what_would_be_markup() {
        // Parentheses, `!` inside, `#` inside a word, `_` inside a word, `&` before a
        // blank, a backslash before a letter, `*` between blanks: all plain text.
        for plain in [
            "gateway (primary) p(99) -> bank",
            "wow! C# F# checkout_guarded a & b C:\\temp 2 * 3",
        ] {
            assert_eq!(markdown(plain), plain);
            assert_eq!(markdown_inline(plain), plain);
        }
        assert_eq!(
            markdown_inline("a|b *c* [d](e) <f> `g` ~h~ _i_ x*y"),
            "a\\|b \\*c\\* \\[d\\](e) &lt;f> \\`g\\` \\~h\\~ \\_i\\_ x\\*y"
        );
        assert_eq!(
            markdown_inline("&lt; a&b x& \\* y\\ hi!"),
            "&amp;lt; a&amp;b x& \\\\\\* y\\ hi\\!"
        );
        // At the end, the writer's text follows: `x\` + ` |` must not escape the pipe.
        assert_eq!(markdown_inline("x\\"), "x\\\\");
        assert_eq!(markdown_inline("x&"), "x&amp;");
        // What would start a block at the beginning of a line; inside a line, nothing.
        for (s, line) in [
            ("# x", "\\# x"),
            ("  ## x", "  \\#\\# x"),
            ("title #", "title \\#"),
            ("> quote", "&gt; quote"),
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("* item", "\\* item"),
            ("---", "\\---"),
            ("===", "\\==="),
            ("1. item", "1\\. item"),
            ("12) item", "12\\) item"),
            ("```", "\\`\\`\\`"),
            ("-35 ms +2 s 1.5", "-35 ms +2 s 1.5"),
        ] {
            assert_eq!(markdown(s), line, "{s}");
        }
        assert_eq!(markdown_inline("# x - y > z 1. w"), "# x - y > z 1. w");
    }

    #[test]
    fn csv_quotes_per_rfc_4180() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv("esc\u{1b}[2J\r"), "esc\\u{1b}[2J\\u{d}");
    }

    #[test]
    fn graph_labels() {
        assert_eq!(mermaid("a\"b#c<d>|e&"), "a#quot;b#35;c#lt;d#gt;#124;e#amp;");
        assert_eq!(dot("a\"b\\n"), "a\\\"b\\\\n");
        assert_eq!(dot("x\u{1b}"), "x\\\\u{1b}");
        assert_eq!(
            html("<a href='x'>&\u{1b}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;\\u{1b}"
        );
    }
}
