//! Authentication: password sign-in, HS256 access tokens and the `AuthUser` extractor that checks them.

mod authenticate;
mod client_ip;
mod extractor;
mod jwt;
pub mod login_delay;

pub use authenticate::{AuthError, authenticate};
pub use client_ip::client_ip;
pub use extractor::AuthUser;
pub(crate) use extractor::admit;
pub use jwt::{Claims, IssuedToken, JwtKeys, TokenError};
