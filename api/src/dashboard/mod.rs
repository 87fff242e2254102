//! The operator dashboard's server side: cookie sessions kept in Redis, the CSRF check, the `DashUser`
//! extractor and the cron describer. Its routes live in `routes/dashboard/`, its page in `api/dashboard/`.

pub mod session;
mod user;

pub use user::DashUser;
