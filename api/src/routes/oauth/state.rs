//! The one-time OAuth `state` (RFC 6749 §10.12), kept in Redis and bound to the user and provider with
//! the PKCE code verifier (RFC 7636, S256) of the consent, and the consent URL that carries the state and
//! the code challenge.

use rand::RngCore;
use reqwest::Url;
use shared::config::OAuthConfig;
use shared::models::UserId;
use shared::models::email_account::Provider;
use shared::redis_conn::RedisConn;

/// How long a `state` stays valid.
pub const STATE_TTL_SECS: u64 = 300;

const GMAIL_SCOPE: &str = "https://www.googleapis.com/auth/gmail.readonly";
const GRAPH_SCOPE: &str =
    "offline_access https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read";

/// An OAuth provider from its path name (`gmail`, `outlook`).
pub fn parse_provider(name: &str) -> Option<Provider> {
    match name {
        "gmail" => Some(Provider::Gmail),
        "outlook" => Some(Provider::Outlook),
        _ => None,
    }
}

/// The consent URL the user is sent to, carrying `state` and the PKCE `code_challenge` (S256).
pub fn consent_url(
    config: &OAuthConfig,
    provider: Provider,
    state: &str,
    code_challenge: &str,
) -> Option<Url> {
    let p = config.provider(provider)?;
    let redirect = config.redirect_uri(provider)?;
    let mut url = p.auth_url.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &p.client_id)
            .append_pair("redirect_uri", &redirect)
            .append_pair("response_type", "code")
            .append_pair("state", state)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256");
        match provider {
            Provider::Gmail => {
                // A refresh token is only issued for offline access, and again only on consent.
                q.append_pair("scope", GMAIL_SCOPE)
                    .append_pair("access_type", "offline")
                    .append_pair("prompt", "consent");
            }
            _ => {
                q.append_pair("scope", GRAPH_SCOPE)
                    .append_pair("response_mode", "query");
            }
        }
    }
    Some(url)
}

/// A fresh random `state` (256 bits, hex).
pub fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn state_key(ns: &str, state: &str) -> String {
    format!("{ns}:oauth:state:{state}")
}

/// What a state is bound to: `{user}:{provider}:`, followed by the PKCE verifier.
fn binding(user: UserId, provider: Provider) -> String {
    format!("{}:{}:", user.0, provider.as_str())
}

/// Stores `state` for [`STATE_TTL_SECS`], bound to `user` and `provider`, with the PKCE `verifier`.
pub async fn save_state(
    redis: &mut RedisConn,
    ns: &str,
    state: &str,
    user: UserId,
    provider: Provider,
    verifier: &str,
) -> Result<(), redis::RedisError> {
    redis::cmd("SET")
        .arg(state_key(ns, state))
        .arg(format!("{}{verifier}", binding(user, provider)))
        .arg("EX")
        .arg(STATE_TTL_SECS)
        .arg("NX")
        .query_async::<Option<String>>(redis)
        .await?;
    Ok(())
}

/// Deletes the state and returns its value only when it is bound to the binding given: another user's
/// attempt (or one for another provider) leaves the owner's state in place.
const TAKE_OWN_STATE: &str = r"
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return v
end
return false
";

/// Consumes `state` when it exists, has not expired and was issued to `user` for `provider`, returning
/// its PKCE verifier; `None` otherwise, and then the state is left untouched (so another user's attempt
/// cannot destroy the owner's pending consent), in one atomic step.
pub async fn take_state(
    redis: &mut RedisConn,
    ns: &str,
    state: &str,
    user: UserId,
    provider: Provider,
) -> Result<Option<String>, redis::RedisError> {
    if state.is_empty() || state.len() > 128 {
        return Ok(None);
    }
    let bound = binding(user, provider);
    let value: Option<String> = redis::Script::new(TAKE_OWN_STATE)
        .key(state_key(ns, state))
        .arg(&bound)
        .invoke_async(redis)
        .await?;
    Ok(value
        .and_then(|v| v.strip_prefix(&bound).map(str::to_owned))
        .filter(|verifier| !verifier.is_empty()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn states_are_random_and_long() {
        let (a, b) = (super::new_state(), super::new_state());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
