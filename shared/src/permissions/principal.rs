//! `Principal`: a signed-in user as the access rules see them (read from the database at each request).

use super::Actor;
use crate::models::user::{Role, User};
use crate::models::{TeamId, UserId};

/// An active user about to act: id, current role and team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub id: UserId,
    pub role: Role,
    pub team_id: Option<TeamId>,
}

impl Principal {
    /// The principal of an active user row; `None` for a deactivated one.
    pub fn of_active(user: &User) -> Option<Self> {
        user.active.then_some(Self {
            id: user.id,
            role: user.role,
            team_id: user.team_id,
        })
    }

    /// True for admins.
    pub fn is_admin(&self) -> bool {
        self.role.at_least(Role::Admin)
    }

    /// True when the role may change anything: viewers are read-only everywhere.
    pub fn may_write(&self) -> bool {
        self.role.at_least(Role::User)
    }

    /// The mailbox rule: a mailbox (and the mail stored from it) is visible to its owner and to admins.
    pub fn sees_mailbox_of(&self, owner: UserId) -> bool {
        self.id == owner || self.is_admin()
    }

    /// The job rule: everyone sees the jobs they enqueued, managers also those of their team's members
    /// (`actor_team` is the enqueuer's current team), admins every job. Jobs of the system (cron, fan-out)
    /// are for admins only: their payloads and results span every user's data.
    pub fn sees_job_of(&self, actor: Actor, actor_team: Option<TeamId>) -> bool {
        if self.is_admin() {
            return true;
        }
        match actor {
            Actor::System => false,
            Actor::User(id) if id == self.id => true,
            Actor::User(_) => {
                self.role.at_least(Role::Manager)
                    && self.team_id.is_some()
                    && actor_team == self.team_id
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: i64, role: Role, team: Option<i64>) -> Principal {
        Principal {
            id: UserId(id),
            role,
            team_id: team.map(TeamId),
        }
    }

    #[test]
    fn jobs_are_seen_by_their_actor_its_team_manager_and_admins() {
        let alice = Actor::User(UserId(1));
        let team = Some(TeamId(7));
        assert!(p(1, Role::Viewer, None).sees_job_of(alice, team));
        assert!(!p(2, Role::User, team.map(|t| t.0)).sees_job_of(alice, team));
        assert!(p(3, Role::Manager, Some(7)).sees_job_of(alice, team));
        assert!(!p(3, Role::Manager, Some(8)).sees_job_of(alice, team));
        // Two users without a team are not "the same team".
        assert!(!p(3, Role::Manager, None).sees_job_of(alice, None));
        assert!(p(4, Role::Admin, None).sees_job_of(alice, team));
        assert!(!p(3, Role::Manager, Some(7)).sees_job_of(Actor::System, None));
        assert!(p(4, Role::Admin, None).sees_job_of(Actor::System, None));
    }
}
