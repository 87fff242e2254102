//! A hostile IMAP server on loopback, for the tests of the read limits and of the errors that must not
//! echo the peer: banners, floods behind a huge literal announcement, drips, silence, and a minimal IMAP
//! dialogue whose body fetch announces a huge literal. It counts the bytes it managed to send.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The announcement of a 300 MB literal.
pub const HUGE_LITERAL: &str = "{314572800}";

/// What the server does with each connection.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Sends these bytes, then holds the connection until the client goes.
    Banner(Vec<u8>),
    /// Sends `head`, then filler bytes as fast as the client reads them, up to 400 MB.
    Flood { head: Vec<u8> },
    /// Sends these bytes one at a time, one per `interval`.
    Drip { bytes: Vec<u8>, interval: Duration },
    /// Accepts and says nothing.
    Silent,
    /// A real greeting; the LOGIN is answered with `login_reply` (then filler as for `Flood`), or OK.
    /// With an OK login: EXAMINE shows one message, its size is 100 bytes, and its body fetch is
    /// answered with `body_head` then filler.
    Imap {
        login_reply: Option<Vec<u8>>,
        body_head: Vec<u8>,
    },
}

/// A running hostile server.
#[derive(Debug)]
pub struct HostileImap {
    port: u16,
    sent: Arc<AtomicU64>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

const FLOOD_MAX: u64 = 400 * 1_000_000;

impl HostileImap {
    /// Listens on 127.0.0.1 (a free port) and serves every connection with `behaviour`.
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("binding the hostile server: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let sent = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (s, c) = (sent.clone(), connections.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, behaviour.clone(), s.clone()));
            }
        });
        Self {
            port,
            sent,
            connections,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Bytes written to clients so far (accepted by the kernel: at most a few MB sit in socket buffers).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for HostileImap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn write(stream: &mut TcpStream, bytes: &[u8], sent: &AtomicU64) -> bool {
    if stream.write_all(bytes).await.is_err() {
        return false;
    }
    sent.fetch_add(bytes.len() as u64, Ordering::SeqCst);
    true
}

async fn flood(stream: &mut TcpStream, sent: &AtomicU64) {
    let chunk = vec![b'x'; 64 * 1024];
    let mut n = 0;
    while n < FLOOD_MAX && write(stream, &chunk, sent).await {
        n += chunk.len() as u64;
    }
}

async fn hold(stream: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::io::AsyncReadExt::read(stream, &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour, sent: Arc<AtomicU64>) {
    match behaviour {
        Behaviour::Banner(bytes) => {
            if write(&mut stream, &bytes, &sent).await {
                hold(&mut stream).await;
            }
        }
        Behaviour::Flood { head } => {
            if write(&mut stream, &head, &sent).await {
                flood(&mut stream, &sent).await;
            }
        }
        Behaviour::Drip { bytes, interval } => {
            for b in bytes {
                if !write(&mut stream, &[b], &sent).await {
                    return;
                }
                tokio::time::sleep(interval).await;
            }
            hold(&mut stream).await;
        }
        Behaviour::Silent => hold(&mut stream).await,
        Behaviour::Imap {
            login_reply,
            body_head,
        } => imap(stream, login_reply, body_head, &sent).await,
    }
}

async fn imap(
    stream: TcpStream,
    login_reply: Option<Vec<u8>>,
    body_head: Vec<u8>,
    sent: &AtomicU64,
) {
    let mut stream = BufReader::new(stream);
    if !write(
        stream.get_mut(),
        b"* OK [CAPABILITY IMAP4rev1] ready\r\n",
        sent,
    )
    .await
    {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match stream.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut words = line.split_whitespace();
        let tag = words.next().unwrap_or("*").to_owned();
        let command = words.next().unwrap_or_default().to_ascii_uppercase();
        let rest = line.to_ascii_uppercase();
        let s = stream.get_mut();
        let ok = match command.as_str() {
            "LOGIN" => match &login_reply {
                Some(reply) => {
                    if write(s, reply, sent).await {
                        flood(s, sent).await;
                    }
                    return;
                }
                None => write(s, format!("{tag} OK LOGIN done\r\n").as_bytes(), sent).await,
            },
            "EXAMINE" | "SELECT" => {
                let answer = format!(
                    "* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n{tag} OK [READ-ONLY] done\r\n"
                );
                write(s, answer.as_bytes(), sent).await
            }
            "UID" if rest.contains("BODY.PEEK[]") => {
                if write(s, &body_head, sent).await {
                    flood(s, sent).await;
                }
                return;
            }
            "UID" => {
                let answer = format!("* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n{tag} OK done\r\n");
                write(s, answer.as_bytes(), sent).await
            }
            "LOGOUT" => {
                let answer = format!("* BYE bye\r\n{tag} OK done\r\n");
                let _ = write(s, answer.as_bytes(), sent).await;
                return;
            }
            _ => write(s, format!("{tag} OK done\r\n").as_bytes(), sent).await,
        };
        if !ok {
            return;
        }
    }
}

/// The resident memory of this process (`VmRSS` of `/proc/self/status`), in bytes; 0 where unknown.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
