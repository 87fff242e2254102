//! `POST /api/v1/auth/login`.

pub mod login;
