//! Statistical models of the analyser: hashed n-gram features, a multinomial logistic regression
//! trained by SGD with a fixed seed, temperature calibration, and the metrics used to report them.
//! Models are trained by `ops/train` (binary `train-intent`) from data the repo carries and are
//! embedded in the library (`workers/intel/models/*.bin`); nothing is read from disk or the network
//! at run time.

pub mod calibrate;
pub mod features;
pub mod linear;
pub mod rng;
pub mod sgd;

pub use features::Sparse;
pub use linear::{Linear, ModelError};
