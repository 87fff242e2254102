//! Contact details in text: phone numbers (E.164), email addresses, websites and LinkedIn URLs.

pub mod email;
pub mod phone;
pub mod url;
