//! `train-intent [--check | --cv K]`: trains the intent model and the request detector from the
//! data under `workers/intel/train-data/` and writes `workers/intel/models/` (see `ops/train`).

use intel::train::{self, Mode};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout().lock();
    match args.first().map(String::as_str) {
        None => {
            train::requests::run(Mode::Write, &mut out)?;
            train::intent::run(Mode::Write, &mut out)
        }
        Some("--check") => {
            train::requests::run(Mode::Check, &mut out)?;
            train::intent::run(Mode::Check, &mut out)
        }
        Some("--cv") => {
            let k: usize = args.get(1).map_or(Ok(5), |s| s.parse())?;
            let k = k.max(2);
            let sentences = train::intent::load_sentences()?;
            let emails = train::intent::load_emails()?;
            let r = train::intent::cross_validate(&sentences, &emails, k);
            train::intent::print_cv(&r, k, &mut out)?;
            let (xs, ys) = train::requests::load()?;
            let r = train::requests::cross_validate(&xs, &ys);
            writeln_blank(&mut out)?;
            train::requests::print_cv(&r, &mut out)
        }
        Some(other) => anyhow::bail!("unknown option {other}: use --check or --cv K"),
    }
}

fn writeln_blank(out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(out)
}
