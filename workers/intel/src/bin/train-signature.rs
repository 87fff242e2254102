//! `train-signature [--check | --cv K | --import-quagga DIR]`: trains the signature line model from
//! `workers/intel/train-data/signature/` and writes `workers/intel/models/` (see `ops/train`).

use intel::train::{self, Mode};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout().lock();
    match args.first().map(String::as_str) {
        None => train::signature::run(Mode::Write, &mut out),
        Some("--check") => train::signature::run(Mode::Check, &mut out),
        Some("--cv") => {
            let lines = train::signature::load()?;
            train::signature::print_cv(&train::signature::cross_validate(&lines), &mut out)?;
            let fields = train::signature::field_cross_validate(&lines)?;
            train::signature::print_fields(&fields, &mut out)
        }
        Some("--import-quagga") => {
            let dir = args
                .get(1)
                .map_or("../shared/eval/signatures-en-quagga/train", |s| s);
            train::signature::import_quagga(std::path::Path::new(dir))
        }
        Some(other) => {
            anyhow::bail!("unknown option {other}: use --check, --cv or --import-quagga DIR")
        }
    }
}
