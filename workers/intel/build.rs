//! Names the embedded models in the analyser's version: `INTEL_MODELS_ID` is the first 8 hex digits
//! of each model's committed sha256 (intent, requests, signature), so results written by an
//! analyser with other models carry another `analyzer` value and `intel.reanalyze` can find them.

fn main() {
    let mut id = String::new();
    for name in ["intent.bin", "requests.bin", "signature.bin"] {
        let path = format!("models/{name}.sha256");
        println!("cargo:rerun-if-changed={path}");
        println!("cargo:rerun-if-changed=models/{name}");
        let sum = std::fs::read_to_string(&path).unwrap_or_default();
        let head: String = sum.chars().take(8).collect();
        if !id.is_empty() {
            id.push('.');
        }
        id.push_str(if head.is_empty() { "none" } else { &head });
    }
    println!("cargo:rustc-env=INTEL_MODELS_ID={id}");
}
