//! The autofill domain: from analysed emails to suggestions for people and organisations ([`batch`]),
//! applied at once when sure and the field is free ([`apply`]), otherwise reviewed by a person
//! ([`review`]); web enrichment of organisations through SerpAPI ([`enrich`]). Plain functions called by
//! the handlers of `workers/src/jobs/intel` and `.../enrich`, by the API's review endpoints, and by tests.

pub mod accuracy;
pub mod apply;
pub mod batch;
pub mod domain;
pub mod enrich;
pub mod evidence;
pub mod fields;
pub mod form;
pub mod names;
pub mod propose;
pub mod review;

pub use batch::{BatchOptions, BatchOutcome, run_batch};
