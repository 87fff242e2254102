//! A local SMTP server for tests: speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT) for lettre, and keeps every message it accepted with its envelope.
//! Plaintext on 127.0.0.1; `reject_rcpt` makes it answer `550` to a recipient (a hard refusal).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message (headers and body), CRLF line ends, dot-unstuffed.
    pub data: String,
}

/// The running sink; dropped with the test (its task ends with the runtime).
#[derive(Clone)]
pub struct SmtpSink {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    reject: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// Listens on 127.0.0.1 (a free port) until the runtime ends. Panics when it cannot: a test without
    /// its server cannot run.
    #[expect(
        clippy::expect_used,
        reason = "test helper: the panic is the failure report"
    )]
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let sink = Self {
            port,
            received: Arc::default(),
            reject: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(s.clone().session(stream));
            }
        });
        sink
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `SMTP_URL` for this sink (plaintext: needs `SMTP_ALLOW_PLAINTEXT=true`).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Answers `550` to RCPT TO this address from now on.
    pub fn reject_rcpt(&self, address: &str) {
        if let Ok(mut r) = self.reject.lock() {
            r.push(address.to_lowercase());
        }
    }

    async fn session(self, stream: TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        if !reply(&mut write, "220 sink ESMTP\r\n").await {
            return;
        }
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let upper = line.to_ascii_uppercase();
            let ok = if upper.starts_with("EHLO") {
                reply(&mut write, "250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n").await
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                reply(&mut write, "250 ok\r\n").await
            } else if upper.starts_with("RSET") {
                (from, to) = (String::new(), Vec::new());
                reply(&mut write, "250 ok\r\n").await
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&line[10..]);
                reply(&mut write, "250 ok\r\n").await
            } else if upper.starts_with("RCPT TO:") {
                let rcpt = address(&line[8..]);
                let refused = self
                    .reject
                    .lock()
                    .map(|r| r.contains(&rcpt.to_lowercase()))
                    .unwrap_or(false);
                if refused {
                    reply(&mut write, "550 5.1.1 no such user\r\n").await
                } else {
                    to.push(rcpt);
                    reply(&mut write, "250 ok\r\n").await
                }
            } else if upper.starts_with("DATA") {
                if !reply(&mut write, "354 go on\r\n").await {
                    return;
                }
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                if let Ok(mut r) = self.received.lock() {
                    r.push(Received {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        data,
                    });
                }
                reply(&mut write, "250 queued\r\n").await
            } else if upper.starts_with("QUIT") {
                let _ = reply(&mut write, "221 bye\r\n").await;
                return;
            } else {
                reply(&mut write, "502 not implemented\r\n").await
            };
            if !ok {
                return;
            }
        }
    }
}

fn address(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg
        .strip_prefix('<')
        .and_then(|a| a.split('>').next())
        .unwrap_or(arg);
    inner.to_owned()
}

async fn reply(w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    w.write_all(text.as_bytes()).await.is_ok()
}
