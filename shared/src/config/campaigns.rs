//! Campaign settings: where unsubscribe and tracking links point, the mailto unsubscribe address, the
//! List-Id, the mailbox that receives bounces, SendGrid's event-webhook key and the send lease.

use std::time::Duration;

use super::{ConfigError, EnvSource};

/// Read by the API (links it verifies, the SendGrid webhook) and the workers (links they write, sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignConfig {
    /// `API_PUBLIC_URL`: the base of the unsubscribe, open and click links (the API answers them). Without
    /// it no campaign is launched: a campaign without a working unsubscribe link is not sent.
    pub public_url: Option<url::Url>,
    /// `CAMPAIGN_UNSUBSCRIBE_MAILTO`: the address of the `mailto:` unsubscribe (a mailbox the mail jobs
    /// sync, named by `CAMPAIGN_BOUNCE_ACCOUNT_ID`); unset: `List-Unsubscribe` carries the HTTPS link only.
    pub unsubscribe_mailto: Option<String>,
    /// `CAMPAIGN_LIST_ID_DOMAIN`: the domain part of `List-Id` (`<campaign-12.lists.example.fr>`);
    /// default the public URL's host.
    pub list_id_domain: Option<String>,
    /// `CAMPAIGN_BOUNCE_ACCOUNT_ID`: the mailbox (`email_accounts.id`) where delivery-status notifications
    /// and mailto unsubscriptions arrive; its synced messages are read for them.
    pub bounce_account_id: Option<i64>,
    /// `SENDGRID_WEBHOOK_PUBLIC_KEY`: the verification key of SendGrid's signed event webhook (base64 DER);
    /// unset: the webhook answers 404.
    pub sendgrid_public_key: Option<String>,
    /// `CAMPAIGN_SEND_LEASE_SECS` (120): a send claimed longer ago than this by a job that never finished
    /// (its worker died) is sent again, with the same Message-ID. Longer than an SMTP transaction can take.
    pub send_lease: Duration,
    /// `CAMPAIGN_SOFT_BOUNCE_LIMIT` (3): this many soft bounces of one address suppress it.
    pub soft_bounce_limit: u32,
}

impl CampaignConfig {
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let public_url = match env.get("API_PUBLIC_URL").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(raw) => Some(
                url::Url::parse(raw.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                    .ok_or_else(|| env.invalid("API_PUBLIC_URL", "an http(s) URL"))?,
            ),
        };
        let unsubscribe_mailto = env
            .get("CAMPAIGN_UNSUBSCRIBE_MAILTO")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        if unsubscribe_mailto
            .as_deref()
            .is_some_and(|m| !is_address(m))
        {
            return Err(env.invalid("CAMPAIGN_UNSUBSCRIBE_MAILTO", "an address (user@domain)"));
        }
        let list_id_domain = env
            .get("CAMPAIGN_LIST_ID_DOMAIN")
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty());
        if let Some(d) = &list_id_domain
            && !d
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(env.invalid("CAMPAIGN_LIST_ID_DOMAIN", "a domain name"));
        }
        let bounce_account_id = match env.get("CAMPAIGN_BOUNCE_ACCOUNT_ID") {
            Some(v) if !v.trim().is_empty() => Some(
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        env.invalid("CAMPAIGN_BOUNCE_ACCOUNT_ID", "an email account id")
                    })?,
            ),
            _ => None,
        };
        Ok(Self {
            public_url,
            unsubscribe_mailto,
            list_id_domain,
            bounce_account_id,
            sendgrid_public_key: env
                .get("SENDGRID_WEBHOOK_PUBLIC_KEY")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            send_lease: Duration::from_secs(env.parse_in(
                "CAMPAIGN_SEND_LEASE_SECS",
                120,
                5..=3_600,
            )?),
            soft_bounce_limit: env.parse_in("CAMPAIGN_SOFT_BOUNCE_LIMIT", 3, 1..=100)?,
        })
    }

    /// The `List-Id` domain: the setting, else the public URL's host.
    pub fn list_id_domain(&self) -> Option<String> {
        self.list_id_domain.clone().or_else(|| {
            self.public_url
                .as_ref()
                .and_then(|u| u.host_str().map(str::to_owned))
        })
    }
}

/// `local@domain` with no spaces, angle brackets or separators: enough to refuse a typo at boot (the
/// relay has the last word).
fn is_address(s: &str) -> bool {
    s.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !s.chars().any(|c| c.is_whitespace() || "<>,;\"".contains(c))
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    #[test]
    fn reads_and_refuses() {
        let c = CampaignConfig::from_env(&EnvSource::from_pairs(&[])).unwrap();
        assert_eq!(
            (c.public_url, c.send_lease.as_secs(), c.soft_bounce_limit),
            (None, 120, 3)
        );
        let c = CampaignConfig::from_env(&EnvSource::from_pairs(&[
            ("API_PUBLIC_URL", "https://crm.example.fr/"),
            ("CAMPAIGN_UNSUBSCRIBE_MAILTO", "unsubscribe@example.fr"),
            ("CAMPAIGN_BOUNCE_ACCOUNT_ID", "4"),
        ]))
        .unwrap();
        assert_eq!(c.list_id_domain().as_deref(), Some("crm.example.fr"));
        assert_eq!(c.bounce_account_id, Some(4));
        for (k, v) in [
            ("API_PUBLIC_URL", "ftp://x"),
            ("CAMPAIGN_UNSUBSCRIBE_MAILTO", "not an address"),
            ("CAMPAIGN_LIST_ID_DOMAIN", "a..b"),
            ("CAMPAIGN_BOUNCE_ACCOUNT_ID", "-1"),
            ("CAMPAIGN_SEND_LEASE_SECS", "1"),
        ] {
            let e = CampaignConfig::from_env(&EnvSource::from_pairs(&[(k, v)])).unwrap_err();
            assert!(e.to_string().contains(k), "{e}");
        }
    }
}
