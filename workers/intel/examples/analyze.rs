//! `cargo run -p crm-intel --example analyze -- FILE.eml...` or `-- --text < lines.jsonl`: the
//! command-line interface of `workers analyze`, for iterating on the analyser.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = intel::cli::run(&args, std::io::stdin().lock(), std::io::stdout().lock());
    std::process::exit(code);
}
