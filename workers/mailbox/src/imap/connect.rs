//! Opening an authenticated IMAP session: implicit TLS, STARTTLS or (only when the operator allows it,
//! `IMAP_ALLOW_PLAINTEXT`) plain TCP, then LOGIN or AUTHENTICATE XOAUTH2. TLS is rustls with the aws-lc-rs
//! provider and the system roots.
//!
//! The TCP connection goes through the egress policy (resolved once, checked, connected to the checked
//! address). Every read is bounded ([`Bounded`]): until the login is done, [`LOGIN_READ_BYTES`] per
//! answer and the connect timeout; the caller sets the session's limits after that.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_imap::{Client, Session};
use egress::EgressPolicy;
use secrecy::{ExposeSecret, SecretString};
use shared::config::ImapLimits;
use shared::models::email_account::ImapSecurity;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::ImapError;
use super::bounded::{Bounded, ReadLimits};

/// Bytes each answer may hold until the login is done (greeting, capabilities, STARTTLS, login): a real
/// server sends well under 1 KiB.
pub const LOGIN_READ_BYTES: u64 = 8 * 1024;

/// Credentials of a session. `Debug` prints no secret.
#[derive(Clone)]
pub enum Credentials {
    /// `LOGIN user password`.
    Password {
        user: String,
        password: SecretString,
    },
    /// `AUTHENTICATE XOAUTH2` with an OAuth access token (Gmail, Outlook).
    XOAuth2 { user: String, token: SecretString },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { .. } => f.write_str("Credentials::Password(<redacted>)"),
            Self::XOAuth2 { .. } => f.write_str("Credentials::XOAuth2(<redacted>)"),
        }
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    pub credentials: Credentials,
    /// Extra trusted certificates in DER (tests with a self-signed server); the system roots always apply.
    pub extra_roots: Vec<Vec<u8>>,
    /// Which addresses may be reached.
    pub egress: EgressPolicy,
    /// Plaintext allowed or not, timeouts.
    pub limits: ImapLimits,
}

/// The transport under the IMAP session.
#[derive(Debug)]
pub enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The stream of a session: the transport under read limits.
pub type ImapStream = Bounded<Transport>;

/// An authenticated session.
pub type ImapSession = Session<ImapStream>;

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The SASL XOAUTH2 initial response: `user=U^Aauth=Bearer T^A^A` (base64-encoded by async-imap).
pub fn xoauth2_response(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
    sent: bool,
}

impl async_imap::Authenticator for XOAuth2<'_> {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        // A second challenge carries the server's JSON error; an empty answer lets it send the NO.
        if self.sent {
            return String::new();
        }
        self.sent = true;
        xoauth2_response(self.user, self.token)
    }
}

/// Connects and authenticates within the connect timeout. Refuses `security: none` unless plaintext
/// is allowed, and destinations the egress policy refuses.
pub async fn connect(settings: &ImapSettings) -> Result<ImapSession, ImapError> {
    if settings.security == ImapSecurity::None && !settings.limits.allow_plaintext {
        return Err(ImapError::PlaintextRefused);
    }
    tokio::time::timeout(settings.limits.connect_timeout, connect_inner(settings))
        .await
        .map_err(|_| ImapError::Network("timed out connecting to the IMAP server".into()))?
}

async fn connect_inner(settings: &ImapSettings) -> Result<ImapSession, ImapError> {
    let timeout = settings.limits.connect_timeout;
    let tcp = settings
        .egress
        .connect_tcp(&settings.host, settings.port, timeout)
        .await?;
    let login = ReadLimits::small(LOGIN_READ_BYTES, timeout);
    let client = match settings.security {
        ImapSecurity::None => {
            let mut client = Client::new(Bounded::new(Transport::Plain(tcp), login));
            read_greeting(&mut client).await?;
            client
        }
        ImapSecurity::Tls => {
            let tls = tls_handshake(settings, tcp).await?;
            let mut client = Client::new(Bounded::new(Transport::Tls(Box::new(tls)), login));
            read_greeting(&mut client).await?;
            client
        }
        ImapSecurity::Starttls => {
            let mut client = Client::new(Bounded::new(Transport::Plain(tcp), login));
            read_greeting(&mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| ImapError::from_imap(e, "STARTTLS"))?;
            // Whatever the server sent after its OK stays behind with the plaintext client.
            let Transport::Plain(tcp) = client.into_inner().into_inner() else {
                return Err(ImapError::Protocol("STARTTLS on a TLS stream".into()));
            };
            let tls = tls_handshake(settings, tcp).await?;
            // No greeting after STARTTLS.
            Client::new(Bounded::new(Transport::Tls(Box::new(tls)), login))
        }
    };
    let mut session = authenticate(client, &settings.credentials).await?;
    // Until the caller sets the limits of its next command: answers that carry no message.
    session.get_mut().set_limits(ReadLimits::small(
        super::folder::SMALL_ANSWER_BYTES,
        settings.limits.command_timeout,
    ));
    Ok(session)
}

async fn read_greeting<T>(client: &mut Client<T>) -> Result<(), ImapError>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ImapError::Network(
            "connection closed before the greeting".into(),
        )),
        Err(e) => Err(ImapError::from_io(&e, "reading the greeting")),
    }
}

async fn authenticate(
    client: Client<ImapStream>,
    credentials: &Credentials,
) -> Result<ImapSession, ImapError> {
    let result = match credentials {
        Credentials::Password { user, password } => {
            client.login(user, password.expose_secret()).await
        }
        Credentials::XOAuth2 { user, token } => {
            let auth = XOAuth2 {
                user,
                token: token.expose_secret(),
                sent: false,
            };
            client.authenticate("XOAUTH2", auth).await
        }
    };
    result.map_err(|(e, _client)| match e {
        async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason) => {
            ImapError::Auth(super::refusal_text(&reason))
        }
        other => ImapError::from_imap(other, "authenticating"),
    })
}

async fn tls_handshake(
    settings: &ImapSettings,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, ImapError> {
    let config = tls_config(&settings.extra_roots)?;
    let name = ServerName::try_from(settings.host.clone())
        .map_err(|_| ImapError::Config("IMAP host is not a valid TLS server name".into()))?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| {
            // Certificate problems will not fix themselves; other handshake failures may. Neither text
            // quotes the error: a certificate error lists the names the peer's certificate presents.
            if e.get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|r| matches!(r, rustls::Error::InvalidCertificate(_)))
            {
                ImapError::Config(
                    "TLS certificate refused (untrusted, expired or issued for another name)"
                        .into(),
                )
            } else {
                ImapError::Network("TLS handshake failed".into())
            }
        })
}

fn tls_config(extra_roots: &[Vec<u8>]) -> Result<ClientConfig, ImapError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for der in extra_roots {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| ImapError::Config(format!("extra root certificate: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Config(format!("TLS configuration: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_initial_response_format() {
        assert_eq!(
            xoauth2_response("someone@example.com", "ya29.token"),
            "user=someone@example.com\x01auth=Bearer ya29.token\x01\x01"
        );
        let creds = Credentials::XOAuth2 {
            user: "u".into(),
            token: SecretString::from("secret-token"),
        };
        assert!(!format!("{creds:?}").contains("secret"));
    }
}
