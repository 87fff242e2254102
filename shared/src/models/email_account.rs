//! Mailboxes synchronised into the CRM, and the per-folder sync state. The secret (IMAP password or OAuth
//! token JSON) is stored encrypted ([`crate::crypto`]) and never serialised nor printed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::UserId;
use super::sql::lower;
use super::text_list::TextList;
use crate::db::DbError;
use crate::schema::{email_accounts, email_folder_state};

id_newtype!(
    /// Id of a row of `email_accounts`.
    EmailAccountId
);

/// Name of the unique index on `(owner_user_id, lower(address))`.
pub const ADDRESS_UNIQUE_INDEX: &str = "email_accounts_owner_address_key";

text_enum! {
    /// Where the mailbox lives and how it is reached.
    pub enum Provider ("email provider") {
        Imap => "imap",
        Gmail => "gmail",
        Outlook => "outlook",
    }
}

text_enum! {
    /// Transport security of an IMAP connection; `none` only when configured so.
    pub enum ImapSecurity ("IMAP security") {
        Tls => "tls",
        Starttls => "starttls",
        None => "none",
    }
}

text_enum! {
    /// How the IMAP session authenticates: LOGIN with a password, or AUTHENTICATE XOAUTH2 with a token.
    pub enum ImapAuth ("IMAP authentication") {
        Login => "login",
        Xoauth2 => "xoauth2",
    }
}

/// A row of `email_accounts`. `Debug` and `Serialize` leave out the secret.
#[derive(Clone, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = email_accounts, check_for_backend(diesel::pg::Pg))]
pub struct EmailAccount {
    pub id: EmailAccountId,
    pub owner_user_id: UserId,
    pub provider: Provider,
    pub address: String,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub imap_security: Option<ImapSecurity>,
    pub imap_auth: ImapAuth,
    pub username: Option<String>,
    #[serde(skip_serializing)]
    pub secret_ciphertext: Option<Vec<u8>>,
    pub token_expires_at: Option<DateTime<Utc>>,
    #[diesel(deserialize_as = TextList)]
    pub folders: Vec<String>,
    pub active: bool,
    pub needs_reconsent: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for EmailAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailAccount")
            .field("id", &self.id)
            .field("owner_user_id", &self.owner_user_id)
            .field("provider", &self.provider)
            .field("imap_security", &self.imap_security)
            .field("imap_auth", &self.imap_auth)
            .field("active", &self.active)
            .field("needs_reconsent", &self.needs_reconsent)
            .finish_non_exhaustive()
    }
}

/// Insert form of [`EmailAccount`]; `secret_ciphertext` must already be encrypted.
#[derive(Clone, Insertable)]
#[diesel(table_name = email_accounts)]
pub struct NewEmailAccount {
    pub owner_user_id: UserId,
    pub provider: Provider,
    pub address: String,
    pub imap_host: Option<String>,
    pub imap_port: Option<i32>,
    pub imap_security: Option<ImapSecurity>,
    pub imap_auth: ImapAuth,
    pub username: Option<String>,
    pub secret_ciphertext: Option<Vec<u8>>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub folders: Vec<String>,
}

impl std::fmt::Debug for NewEmailAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewEmailAccount")
            .field("owner_user_id", &self.owner_user_id)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// Default folders of a new account.
pub fn default_folders() -> Vec<String> {
    vec!["INBOX".to_owned(), "Sent".to_owned()]
}

/// Creates an account. The same address twice for one owner (whatever its case) gives
/// [`DbError::UniqueViolation`] naming [`ADDRESS_UNIQUE_INDEX`].
pub fn create_account(
    conn: &mut PgConnection,
    new: &NewEmailAccount,
) -> Result<EmailAccount, DbError> {
    Ok(diesel::insert_into(email_accounts::table)
        .values(new)
        .returning(EmailAccount::as_returning())
        .get_result(conn)?)
}

/// Finds an account by id.
pub fn find_account(
    conn: &mut PgConnection,
    id: EmailAccountId,
) -> Result<Option<EmailAccount>, DbError> {
    Ok(email_accounts::table
        .find(id)
        .select(EmailAccount::as_select())
        .first(conn)
        .optional()?)
}

/// Finds an owner's account by address, case-insensitively.
pub fn find_by_address(
    conn: &mut PgConnection,
    owner: UserId,
    address: &str,
) -> Result<Option<EmailAccount>, DbError> {
    Ok(email_accounts::table
        .filter(email_accounts::owner_user_id.eq(owner))
        .filter(lower(email_accounts::address).eq(address.to_lowercase()))
        .select(EmailAccount::as_select())
        .first(conn)
        .optional()?)
}

/// Accounts of one owner, oldest first.
pub fn list_for_owner(
    conn: &mut PgConnection,
    owner: UserId,
) -> Result<Vec<EmailAccount>, DbError> {
    Ok(email_accounts::table
        .filter(email_accounts::owner_user_id.eq(owner))
        .order(email_accounts::id.asc())
        .select(EmailAccount::as_select())
        .load(conn)?)
}

/// Every account, oldest first (admins).
pub fn list_all(conn: &mut PgConnection) -> Result<Vec<EmailAccount>, DbError> {
    Ok(email_accounts::table
        .order(email_accounts::id.asc())
        .select(EmailAccount::as_select())
        .load(conn)?)
}

/// Ids of the accounts the periodic sync visits: active and not waiting for a new consent.
pub fn list_syncable_ids(conn: &mut PgConnection) -> Result<Vec<EmailAccountId>, DbError> {
    Ok(email_accounts::table
        .filter(email_accounts::active.eq(true))
        .filter(email_accounts::needs_reconsent.eq(false))
        .order(email_accounts::id.asc())
        .select(email_accounts::id)
        .load(conn)?)
}

/// Enables or disables an account's sync; false when it does not exist.
pub fn set_active(
    conn: &mut PgConnection,
    id: EmailAccountId,
    active: bool,
) -> Result<bool, DbError> {
    Ok(diesel::update(email_accounts::table.find(id))
        .set(email_accounts::active.eq(active))
        .execute(conn)?
        > 0)
}

/// Replaces the folders to sync; false when the account does not exist.
pub fn set_folders(
    conn: &mut PgConnection,
    id: EmailAccountId,
    folders: &[String],
) -> Result<bool, DbError> {
    Ok(diesel::update(email_accounts::table.find(id))
        .set(email_accounts::folders.eq(folders))
        .execute(conn)?
        > 0)
}

/// Deletes an account and its sync state; its stored emails stay (account set NULL) under the retention
/// rules. False when it did not exist.
pub fn delete_account(conn: &mut PgConnection, id: EmailAccountId) -> Result<bool, DbError> {
    Ok(diesel::delete(email_accounts::table.find(id)).execute(conn)? > 0)
}

/// Records a successful sync: `last_sync_at` now, `last_error` cleared.
pub fn record_sync_ok(conn: &mut PgConnection, id: EmailAccountId) -> Result<(), DbError> {
    diesel::update(email_accounts::table.find(id))
        .set((
            email_accounts::last_sync_at.eq(diesel::dsl::now),
            email_accounts::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records why the last sync failed (a reason without secrets or message content).
pub fn record_sync_error(
    conn: &mut PgConnection,
    id: EmailAccountId,
    reason: &str,
) -> Result<(), DbError> {
    diesel::update(email_accounts::table.find(id))
        .set(email_accounts::last_error.eq(reason))
        .execute(conn)?;
    Ok(())
}

/// Marks an account whose grant was revoked: it needs a new consent and the periodic sync skips it.
pub fn mark_needs_reconsent(
    conn: &mut PgConnection,
    id: EmailAccountId,
    reason: &str,
) -> Result<(), DbError> {
    diesel::update(email_accounts::table.find(id))
        .set((
            email_accounts::needs_reconsent.eq(true),
            email_accounts::last_error.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores a new encrypted secret (rotated OAuth tokens, changed password) and clears `needs_reconsent`.
pub fn update_secret(
    conn: &mut PgConnection,
    id: EmailAccountId,
    ciphertext: &[u8],
    token_expires_at: Option<DateTime<Utc>>,
) -> Result<(), DbError> {
    diesel::update(email_accounts::table.find(id))
        .set((
            email_accounts::secret_ciphertext.eq(ciphertext),
            email_accounts::token_expires_at.eq(token_expires_at),
            email_accounts::needs_reconsent.eq(false),
        ))
        .execute(conn)?;
    Ok(())
}

/// A row of `email_folder_state`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = email_folder_state, check_for_backend(diesel::pg::Pg))]
pub struct FolderState {
    pub account_id: EmailAccountId,
    pub folder: String,
    pub uidvalidity: Option<i64>,
    pub last_uid: i64,
    pub history_id: Option<String>,
    pub delta_link: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The sync state of one folder, if it was ever synced.
pub fn folder_state(
    conn: &mut PgConnection,
    account: EmailAccountId,
    folder: &str,
) -> Result<Option<FolderState>, DbError> {
    Ok(email_folder_state::table
        .find((account, folder))
        .select(FolderState::as_select())
        .first(conn)
        .optional()?)
}

/// Every folder state of an account.
pub fn folder_states(
    conn: &mut PgConnection,
    account: EmailAccountId,
) -> Result<Vec<FolderState>, DbError> {
    Ok(email_folder_state::table
        .filter(email_folder_state::account_id.eq(account))
        .order(email_folder_state::folder.asc())
        .select(FolderState::as_select())
        .load(conn)?)
}

/// Stores an IMAP folder's UIDVALIDITY and last UID seen.
pub fn save_imap_state(
    conn: &mut PgConnection,
    account: EmailAccountId,
    folder: &str,
    uidvalidity: i64,
    last_uid: i64,
) -> Result<(), DbError> {
    diesel::insert_into(email_folder_state::table)
        .values((
            email_folder_state::account_id.eq(account),
            email_folder_state::folder.eq(folder),
            email_folder_state::uidvalidity.eq(uidvalidity),
            email_folder_state::last_uid.eq(last_uid),
        ))
        .on_conflict((email_folder_state::account_id, email_folder_state::folder))
        .do_update()
        .set((
            email_folder_state::uidvalidity.eq(uidvalidity),
            email_folder_state::last_uid.eq(last_uid),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores a Gmail folder's history cursor (`None` clears it, forcing a full sync next time).
pub fn save_history_id(
    conn: &mut PgConnection,
    account: EmailAccountId,
    folder: &str,
    history_id: Option<&str>,
) -> Result<(), DbError> {
    diesel::insert_into(email_folder_state::table)
        .values((
            email_folder_state::account_id.eq(account),
            email_folder_state::folder.eq(folder),
            email_folder_state::history_id.eq(history_id),
        ))
        .on_conflict((email_folder_state::account_id, email_folder_state::folder))
        .do_update()
        .set(email_folder_state::history_id.eq(history_id))
        .execute(conn)?;
    Ok(())
}

/// Stores a Microsoft Graph folder's delta link (`None` clears it, forcing a full sync next time).
pub fn save_delta_link(
    conn: &mut PgConnection,
    account: EmailAccountId,
    folder: &str,
    delta_link: Option<&str>,
) -> Result<(), DbError> {
    diesel::insert_into(email_folder_state::table)
        .values((
            email_folder_state::account_id.eq(account),
            email_folder_state::folder.eq(folder),
            email_folder_state::delta_link.eq(delta_link),
        ))
        .on_conflict((email_folder_state::account_id, email_folder_state::folder))
        .do_update()
        .set(email_folder_state::delta_link.eq(delta_link))
        .execute(conn)?;
    Ok(())
}
