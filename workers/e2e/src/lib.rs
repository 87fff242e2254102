//! Test-only crate: see `tests/`. It depends on both `crm-api` and the `workers` binary (found by
//! `crm_queue::test_utils::workers_bin`), which is why these tests are not in either crate.
