//! The topology diagram of a generated scenario in its three syntaxes (`archsim
//! graph`): Graphviz's `dot` must lay out the DOT, the SVG must be well-formed XML
//! (python3's parser), and neither Mermaid, the SVG nor what Graphviz draws from the
//! DOT may carry the input's markup raw.

use super::run::{self, Outcome};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Cases whose three diagrams passed, for the harness's report.
pub static PASSED: AtomicU64 = AtomicU64::new(0);

/// One line for the harness's report.
pub fn summary() -> String {
    format!(
        "  {:<28} {} cases (mermaid, dot laid out by Graphviz, well-formed svg)",
        "topology diagrams",
        PASSED.load(Ordering::Relaxed)
    )
}

/// Writes the diagrams of `file` in `dir` and checks them; `None` if they pass.
pub fn judge(
    file: &Path,
    dir: &Path,
    markup: &[&str],
    budget: Duration,
) -> Option<(String, String)> {
    let fail = |class: &str, detail: String| Some((format!("graph: {class}"), detail));
    for format in ["mermaid", "dot", "svg"] {
        let args = ["graph", file.to_str().unwrap(), "--format", format];
        let text = match run::run(&args, dir, &dir.join("graph"), budget) {
            Outcome::Ok(text) => text,
            o => return fail(&format!("{format} {}", o.class()), o.detail()),
        };
        // DOT quotes its labels and Graphviz escapes them in what it draws: the check
        // is on Graphviz's SVG. The others must escape the markup themselves.
        let drawn = match format {
            "dot" => run_tool(
                "dot",
                &["-Tsvg"],
                &text,
                "Graphviz's dot (Debian's graphviz)",
            ),
            "svg" => {
                let parse = "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.stdin)";
                // The markup check needs no parser: without python3 it still runs.
                let parsed = run_tool("python3", &["-c", parse], &text, "python3");
                Some(parsed.map_or(Ok(()), |r| r.map(|_| ())).map(|()| text))
            }
            _ => Some(Ok(text)),
        };
        match drawn {
            None => {}
            Some(Err(err)) => return fail(&format!("invalid {format}"), err),
            Some(Ok(drawn)) => {
                if let Some(m) = markup.iter().find(|m| drawn.contains(*m)) {
                    return fail(
                        &format!("unescaped {format}"),
                        format!("raw {m} from the input"),
                    );
                }
            }
        }
    }
    PASSED.fetch_add(1, Ordering::Relaxed);
    None
}

/// `tool ARGS` with `text` on stdin: `Ok(stdout)` when it accepts it, `Err(the first
/// lines of stderr)` when it fails, `None` when the tool is missing (a note; a failure
/// under `CI`, where `.ci/run` installs it).
fn run_tool(tool: &str, args: &[&str], text: &str, what: &str) -> Option<Result<String, String>> {
    use std::io::Write;
    let child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        crate::common::tool_missing(what);
        return None;
    };
    // Written from another thread: a large diagram must not block on a full pipe while
    // the tool's own output fills the other one.
    let mut stdin = child.stdin.take().unwrap();
    let input = text.to_string();
    let writer = std::thread::spawn(move || {
        // A tool that exits early closes its stdin: its verdict is in the status.
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    Some(if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err.lines().take(3).collect::<Vec<_>>().join(" | "))
    })
}
