//! Who may see and act on what: the one place where the platform's access rules live. The API's endpoints,
//! `POST /api/v1/jobs` and the dashboard's run form, and the workers (re-checking a job's actor when the
//! job runs) all decide through these functions, so a resource answers the same way whichever door is used.

mod actor;
mod principal;
mod resource;
mod run;

pub use actor::Actor;
pub use principal::Principal;
pub use resource::{Access, Resource, access_to, load_principal, owned_access};
pub use run::{Refusal, may_run};
