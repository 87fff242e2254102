//! The `workers analyze` command-line contract.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use serde_json::Value;

fn run(args: &[&str], stdin: &str) -> (i32, Vec<Value>, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let code = intel::cli::run(&args, stdin.as_bytes(), &mut out);
    let text = String::from_utf8(out).unwrap();
    let lines = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (code, lines, text)
}

#[test]
fn files_one_line_each_file_first_and_errors_do_not_stop() {
    let fix = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/fr_reply_gmail.eml"
    );
    let (code, lines, text) = run(&["analyze", fix, "/nonexistent/x.eml", fix], "");
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 3);
    assert!(text.lines().all(|l| l.starts_with("{\"file\":")));
    assert_eq!(lines[0]["intent"]["label"], "information_request");
    assert_eq!(lines[0]["signature"]["phones"][0], "+33380000012");
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[1]["file"], "/nonexistent/x.eml");
    assert_eq!(lines[2]["signature"]["name"], "Hervé Lacombe");
}

#[test]
fn text_mode_reads_json_lines_and_reports_malformed_ones() {
    let input = "{\"id\": \"a\", \"text\": \"Cordialement,\\nJean Dupont\\n06 12 34 56 78\"}\nnot json\n\n{\"id\": 7, \"text\": \"STOP\"}\n{\"id\": \"b\"}\n";
    let (code, lines, text) = run(&["analyze", "--text"], input);
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 4);
    assert!(text.lines().all(|l| l.starts_with("{\"id\":")));
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["signature"]["name"], "Jean Dupont");
    assert_eq!(lines[0]["signature"]["phones"][0], "+33612345678");
    assert_eq!(lines[1]["id"], Value::Null);
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["id"], 7);
    assert_eq!(lines[2]["intent"]["label"], "unsubscribe");
    assert!(lines[3]["error"].is_string());
}

#[test]
fn text_mode_all_good_exits_zero_and_absent_values_are_null_or_empty() {
    let (code, lines, _) = run(
        &["--text"],
        "{\"id\":\"x\",\"text\":\"Bien reçu, merci.\"}\n",
    );
    assert_eq!(code, 0);
    let s = &lines[0]["signature"];
    assert_eq!(s["block"], Value::Null);
    assert_eq!(s["name"], Value::Null);
    assert_eq!(s["phones"], serde_json::json!([]));
    assert_eq!(lines[0]["intent"]["label"], "other");
}

#[test]
fn usage() {
    assert_eq!(run(&["analyze"], "").0, 2);
    assert_eq!(run(&["--help"], "").0, 0);
}
