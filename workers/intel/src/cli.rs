//! `workers analyze FILE.eml...` and `workers analyze --text` (JSON lines on stdin).
//! One JSON object per line: `"file"` (or `"id"`) first, then the [`Analysis`](crate::Analysis).

use crate::Analysis;
use serde_json::Value;
use std::io::{BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

const USAGE: &str = "usage: workers analyze FILE.eml...\n       workers analyze --text   < lines of {\"id\": ..., \"text\": ...}\n";

/// Run the command. `args` are the words after the program name, with or without the leading
/// `analyze`. Returns the process exit code: 0, 1 when an item failed, 2 on a usage error.
pub fn run(args: &[String], stdin: impl BufRead, mut stdout: impl Write) -> i32 {
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .skip_while(|a| *a == "analyze")
        .collect();
    if args.iter().any(|a| *a == "-h" || *a == "--help") {
        let _ = stdout.write_all(USAGE.as_bytes());
        return 0;
    }
    let code = if args.first() == Some(&"--text") {
        if args.len() > 1 {
            let _ = stdout.write_all(USAGE.as_bytes());
            return 2;
        }
        run_text(stdin, &mut stdout)
    } else if args.is_empty() {
        let _ = stdout.write_all(USAGE.as_bytes());
        return 2;
    } else {
        run_files(&args, &mut stdout)
    };
    let _ = stdout.flush();
    code
}

/// Serialise an analysis with `key: value` placed first.
pub fn line_with(key: &str, value: &Value, a: &Analysis) -> String {
    let body = serde_json::to_string(a).unwrap_or_else(|_| "{}".to_string());
    let head = format!("{{{}:{}", Value::String(key.to_string()), value);
    match body.strip_prefix('{') {
        Some(rest) if rest != "}" => format!("{head},{rest}"),
        _ => format!("{head}}}"),
    }
}

fn error_line(key: &str, value: &Value, err: &str) -> String {
    format!(
        "{{{}:{},\"error\":{}}}",
        Value::String(key.to_string()),
        value,
        Value::String(err.to_string())
    )
}

fn guarded<F: FnOnce() -> Analysis>(f: F) -> Result<Analysis, String> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| "internal error: the analyser failed on this input".to_string())
}

fn run_files(files: &[&str], out: &mut impl Write) -> i32 {
    let mut code = 0;
    for f in files {
        let key = Value::String((*f).to_string());
        let line = match std::fs::read(f) {
            Err(e) => {
                code = 1;
                error_line("file", &key, &format!("cannot read file: {e}"))
            }
            Ok(raw) => match guarded(|| crate::analyze_message(&raw)) {
                Ok(a) => line_with("file", &key, &a),
                Err(e) => {
                    code = 1;
                    error_line("file", &key, &e)
                }
            },
        };
        if writeln!(out, "{line}").is_err() {
            return 1;
        }
    }
    code
}

fn run_text(mut stdin: impl BufRead, out: &mut impl Write) -> i32 {
    let mut code = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match stdin.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{}",
                    error_line("id", &Value::Null, &format!("cannot read input: {e}"))
                );
                return 1;
            }
        }
        let raw = String::from_utf8_lossy(&buf);
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let line = match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(o)) => {
                let id = o.get("id").cloned().unwrap_or(Value::Null);
                match o.get("text") {
                    Some(Value::String(text)) => match guarded(|| crate::analyze_text(text)) {
                        Ok(a) => line_with("id", &id, &a),
                        Err(e) => {
                            code = 1;
                            error_line("id", &id, &e)
                        }
                    },
                    _ => {
                        code = 1;
                        error_line("id", &id, "missing \"text\" string")
                    }
                }
            }
            Ok(_) => {
                code = 1;
                error_line(
                    "id",
                    &Value::Null,
                    "a line must be a JSON object {\"id\", \"text\"}",
                )
            }
            Err(e) => {
                code = 1;
                error_line("id", &Value::Null, &format!("invalid JSON: {e}"))
            }
        };
        if writeln!(out, "{line}").is_err() {
            return 1;
        }
    }
    code
}
