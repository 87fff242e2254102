//! `Resource`: what a job (or a request) touches, and the rule deciding who may see and change it.

use std::fmt;
use std::str::FromStr;

use diesel::PgConnection;

use super::Principal;
use crate::db::DbError;
use crate::models::campaign::{self, CampaignId};
use crate::models::email_account::{self, EmailAccountId};
use crate::models::interaction::{self, InteractionId};
use crate::models::rgpd_request::{self, RgpdRequestId};
use crate::models::user::{Role, find_user};
use crate::models::{BackupId, OrganisationId, UserId, backup, organisation};

/// The resource a job touches, declared by its payload type (`Job::resource`). Stored as text
/// (`email_account:7`) in the job's Redis record and in `job_history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// No single resource (platform-wide work such as `maint.backup`): the job's run role decides alone.
    Platform,
    /// A mailbox: its owner and admins.
    EmailAccount(EmailAccountId),
    /// A stored email: the owner of the mailbox it came from and admins (admins only for an email of no
    /// mailbox).
    Interaction(InteractionId),
    /// A backup file: admins.
    Backup(BackupId),
    /// An organisation of the CRM: shared by the whole team (every signed-in user sees it; users,
    /// managers and admins may change it, viewers only read).
    Organisation(OrganisationId),
    /// A data subject's request (export or erasure): admins, and the user whose own account it is about
    /// (whatever their role: exercising one's rights over one's own data is not a write to the CRM).
    RgpdRequest(RgpdRequestId),
    /// A mail campaign: every signed-in user sees it; its owner, managers and admins change it (and what
    /// it sends); viewers only read.
    Campaign(CampaignId),
}

/// What a principal may do with a resource. The API answers 404 for `Hidden` (ids are not probed) and 403
/// for `ReadOnly`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Hidden,
    ReadOnly,
    Write,
}

impl Access {
    fn of(principal: &Principal, visible: bool) -> Self {
        match (visible, principal.may_write()) {
            (false, _) => Access::Hidden,
            (true, false) => Access::ReadOnly,
            (true, true) => Access::Write,
        }
    }
}

/// What `principal` may do with `resource` now (a missing resource is `Hidden`).
pub fn access_to(
    conn: &mut PgConnection,
    principal: &Principal,
    resource: Resource,
) -> Result<Access, DbError> {
    let visible = match resource {
        Resource::Platform => true,
        Resource::EmailAccount(id) => email_account::find_account(conn, id)?
            .is_some_and(|a| principal.sees_mailbox_of(a.owner_user_id)),
        Resource::Interaction(id) => match interaction::mailbox_owner(conn, id)? {
            Some(Some(owner)) => principal.sees_mailbox_of(owner),
            Some(None) => principal.is_admin(),
            None => false,
        },
        Resource::Backup(id) => principal.is_admin() && backup::find_backup(conn, id)?.is_some(),
        Resource::Organisation(id) => organisation::find_organisation(conn, id)?.is_some(),
        Resource::Campaign(id) => {
            return Ok(match campaign::owner_of(conn, id)? {
                None => Access::Hidden,
                Some(owner) => owned_access(principal, owner),
            });
        }
        Resource::RgpdRequest(id) => {
            return Ok(match rgpd_request::find(conn, id)? {
                Some(_) if principal.is_admin() => Access::of(principal, true),
                Some(r) if r.is_self_request() && r.subject_id == principal.id.0 => Access::Write,
                _ => Access::Hidden,
            });
        }
    };
    Ok(Access::of(principal, visible))
}

/// The rule of what users make and own (campaigns, mail templates, segments): everyone signed in reads;
/// the owner, managers and admins change; viewers never write.
pub fn owned_access(principal: &Principal, owner: Option<UserId>) -> Access {
    let mine = owner == Some(principal.id) || principal.role.at_least(Role::Manager);
    if principal.may_write() && mine {
        Access::Write
    } else {
        Access::ReadOnly
    }
}

/// The principal of user `id` if the account exists and is active.
pub fn load_principal(conn: &mut PgConnection, id: UserId) -> Result<Option<Principal>, DbError> {
    Ok(find_user(conn, id)?.as_ref().and_then(Principal::of_active))
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Platform => f.write_str("platform"),
            Resource::EmailAccount(id) => write!(f, "email_account:{id}"),
            Resource::Interaction(id) => write!(f, "interaction:{id}"),
            Resource::Backup(id) => write!(f, "backup:{id}"),
            Resource::Organisation(id) => write!(f, "organisation:{id}"),
            Resource::RgpdRequest(id) => write!(f, "rgpd_request:{id}"),
            Resource::Campaign(id) => write!(f, "campaign:{id}"),
        }
    }
}

/// A resource text of an unknown kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a resource")]
pub struct BadResource;

impl FromStr for Resource {
    type Err = BadResource;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "platform" {
            return Ok(Resource::Platform);
        }
        let (kind, id) = s.split_once(':').ok_or(BadResource)?;
        let id: i64 = id.parse().map_err(|_| BadResource)?;
        Ok(match kind {
            "email_account" => Resource::EmailAccount(EmailAccountId(id)),
            "interaction" => Resource::Interaction(InteractionId(id)),
            "backup" => Resource::Backup(BackupId(id)),
            "organisation" => Resource::Organisation(OrganisationId(id)),
            "rgpd_request" => Resource::RgpdRequest(RgpdRequestId(id)),
            "campaign" => Resource::Campaign(CampaignId(id)),
            _ => return Err(BadResource),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_text() {
        for r in [
            Resource::Platform,
            Resource::EmailAccount(EmailAccountId(3)),
            Resource::Interaction(InteractionId(4)),
            Resource::Backup(BackupId(5)),
            Resource::Organisation(OrganisationId(6)),
            Resource::RgpdRequest(RgpdRequestId(7)),
            Resource::Campaign(CampaignId(8)),
        ] {
            assert_eq!(r.to_string().parse::<Resource>(), Ok(r));
        }
        assert_eq!("mailbox:1".parse::<Resource>(), Err(BadResource));
    }
}
