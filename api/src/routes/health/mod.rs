//! `GET /api/v1/health` and `GET /api/v1/health/detailed`.

pub mod detailed;
pub mod live;
