//! Campaign mail: templates rendered per recipient ([`template`]), links and open pixel rewritten for
//! tracking ([`tracking`]) and signed ([`links`]), audiences enrolled and drip steps paced ([`tick`]), one
//! message per send record ([`send`]), and what became of it ([`feedback`]): bounces and complaints read
//! from delivery-status notifications and SendGrid's event webhook ([`bounce`]).

pub mod bounce;
pub mod feedback;
#[cfg(feature = "test-utils")]
pub mod fixtures;
pub mod links;
pub mod send;
pub mod template;
pub mod tick;
pub mod tracking;
