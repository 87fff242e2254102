//! Authentication: HS256 access tokens and the `AuthUser` extractor that checks them.

mod extractor;
mod jwt;

pub use extractor::AuthUser;
pub(crate) use extractor::admit;
pub use jwt::{Claims, IssuedToken, JwtKeys};
