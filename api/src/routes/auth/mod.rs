//! `POST /api/v1/auth/login`, `POST /api/v1/auth/logout` and `POST /api/v1/auth/password`.

pub mod login;
pub mod logout;
pub mod password;
