//! The SMTP sender. The relay's name is resolved once by the egress policy (private addresses refused
//! unless `EGRESS_ALLOW_CIDRS` allows them) and lettre connects to that checked address, verifying TLS
//! against the configured name. Connections are pooled.

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{SmtpConfig, SmtpSecurity};

/// Why mail could not be sent. Texts never hold addresses or content.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("the SMTP relay is refused by the egress policy or cannot be resolved")]
    Egress(#[source] egress::EgressError),
    #[error("TLS settings for the SMTP relay")]
    Tls(#[source] lettre::transport::smtp::Error),
    /// The relay refused for good (5xx): retrying the same message cannot help.
    #[error("the SMTP relay refused the message ({code})")]
    Rejected {
        code: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// Connection, timeout or a 4xx: worth retrying.
    #[error("sending through the SMTP relay failed")]
    Transient(#[source] lettre::transport::smtp::Error),
}

impl MailerError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Rejected { .. } | Self::Tls(_))
    }

    /// The egress policy refuses the relay's address: no retry helps until the settings change.
    pub fn is_egress_refusal(&self) -> bool {
        matches!(self, Self::Egress(e) if e.is_refusal())
    }
}

/// A pooled SMTP transport and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: SmtpConfig,
}

impl Mailer {
    /// Resolves the relay through `policy` and builds the pooled transport (no connection is opened yet).
    pub async fn connect(
        config: &SmtpConfig,
        policy: &egress::EgressPolicy,
    ) -> Result<Self, MailerError> {
        let addrs = policy
            .resolve(&config.host, config.port)
            .await
            .map_err(MailerError::Egress)?;
        let ip = addrs
            .first()
            .map(|a| a.ip().to_string())
            .ok_or(MailerError::Egress(egress::EgressError::Resolve(None)))?;
        let tls = |host: &str| TlsParameters::new(host.to_owned()).map_err(MailerError::Tls);
        let tls = match config.security {
            SmtpSecurity::Tls => Tls::Wrapper(tls(&config.host)?),
            SmtpSecurity::StartTls => Tls::Required(tls(&config.host)?),
            SmtpSecurity::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ip)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(config.pool_size));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            config: config.clone(),
        })
    }

    /// The sender of platform mail (`SMTP_FROM`).
    pub fn from(&self) -> &lettre::message::Mailbox {
        &self.config.from
    }

    /// Sends one message; the error says whether a retry may help.
    pub async fn send(&self, message: Message) -> Result<(), MailerError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailerError::Rejected {
                code: e
                    .status()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "5xx".into()),
                source: e,
            }),
            Err(e) => Err(MailerError::Transient(e)),
        }
    }
}
