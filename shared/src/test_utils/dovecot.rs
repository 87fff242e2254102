//! A throwaway Dovecot IMAP server per test (feature `test-utils`): loopback on a free port, a
//! passwd-file with the test's users, Maildir storage, config and state in a temporary directory.
//!
//! XOAUTH2 is tested by storing the token as a user's password: Dovecot 2.3's `xoauth2` mechanism
//! checks the bearer token through the passdb like a plain password.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `dovecot-core` installs the server.
pub const DOVECOT_BIN: &str = "/usr/sbin/dovecot";

/// A running Dovecot; stopped and its directory removed on drop.
pub struct Dovecot {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    tls: Option<TlsSetup>,
}

/// The TLS side of a server started with [`Dovecot::start_tls`].
struct TlsSetup {
    imaps_port: u16,
    ca_der: Vec<u8>,
}

impl Dovecot {
    /// Starts Dovecot with `users` (`(name, password)`) in plain IMAP (`ssl = no`). Panics when Dovecot is
    /// missing or does not come up: run the tests through `ops/test`, which installs it.
    pub fn start(users: &[(&str, &str)]) -> Self {
        Self::try_start(users).unwrap_or_else(|e| panic!("cannot start dovecot: {e}"))
    }

    /// Starts Dovecot with TLS: STARTTLS on [`Dovecot::port`] (plain login stays allowed there, for the
    /// set-up client) and implicit TLS on [`Dovecot::imaps_port`], with a server certificate for
    /// `127.0.0.1` and `localhost` issued by a CA made for this server ([`Dovecot::ca_der`]).
    pub fn start_tls(users: &[(&str, &str)]) -> Self {
        Self::try_start_with(users, true).unwrap_or_else(|e| panic!("cannot start dovecot: {e}"))
    }

    /// Like [`Dovecot::start`], returning the error.
    pub fn try_start(users: &[(&str, &str)]) -> Result<Self, String> {
        Self::try_start_with(users, false)
    }

    fn try_start_with(users: &[(&str, &str)], tls: bool) -> Result<Self, String> {
        if !Path::new(DOVECOT_BIN).exists() {
            return Err(format!(
                "{DOVECOT_BIN} not found: install dovecot-imapd (ops/test does)"
            ));
        }
        let dir = tempfile::Builder::new()
            .prefix("crm-dovecot-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = is_root();
        // Dovecot's unprivileged processes read the passwd-file and traverse the directory.
        set_mode(dir.path(), 0o755)?;
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.path().join(sub)).map_err(|e| e.to_string())?;
        }
        let passwd: String = users
            .iter()
            .map(|(u, p)| format!("{u}:{{PLAIN}}{p}::::::\n"))
            .collect();
        std::fs::write(dir.path().join("passwd"), passwd).map_err(|e| e.to_string())?;
        set_mode(&dir.path().join("passwd"), 0o644)?;
        let (internal, login, mail_user) = if root {
            // Mail access as root is refused by Dovecot: mail belongs to the `dovecot` user.
            chown(&dir.path().join("mail"), "dovecot")?;
            (
                "dovecot".to_owned(),
                "dovenull".to_owned(),
                "dovecot".to_owned(),
            )
        } else {
            let me = current_user()?;
            (me.clone(), me.clone(), me)
        };
        let port = free_port()?;
        let tls = if tls {
            Some(TlsSetup {
                imaps_port: free_port()?,
                ca_der: make_certificates(dir.path())?,
            })
        } else {
            None
        };
        let d = dir.path().display();
        let (ssl, imaps) = match &tls {
            Some(t) => (
                format!("ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n"),
                format!("address = 127.0.0.1\n    port = {}", t.imaps_port),
            ),
            None => ("ssl = no\n".to_owned(), "port = 0".to_owned()),
        };
        let conf = format!(
            "protocols = imap\n\
             listen = 127.0.0.1\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             instance_name = crm-test-{port}\n\
             log_path = {d}/dovecot.log\n\
             {ssl}\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login xoauth2\n\
             default_internal_user = {internal}\n\
             default_internal_group = {internal}\n\
             default_login_user = {login}\n\
             mail_location = maildir:{d}/mail/%u\n\
             first_valid_uid = 0\n\
             mail_fsync = never\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={mail_user} gid={mail_user} home={d}/mail/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    {imaps}\n  }}\n}}\n\
             service stats {{\n  unix_listener stats-writer {{\n    mode = 0666\n  }}\n}}\n"
        );
        let conf_path = dir.path().join("dovecot.conf");
        std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
        let child = Command::new(DOVECOT_BIN)
            .arg("-F")
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawning dovecot: {e}"))?;
        let server = Self {
            dir,
            port,
            child: Some(child),
            tls,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let mut greeting = String::new();
                s.set_read_timeout(Some(Duration::from_secs(2))).ok();
                if BufReader::new(&mut s).read_line(&mut greeting).is_ok()
                    && greeting.starts_with("* OK")
                {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                return Err(format!("dovecot did not listen: {}", server.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The implicit-TLS port of a server started with [`Dovecot::start_tls`].
    pub fn imaps_port(&self) -> Option<u16> {
        self.tls.as_ref().map(|t| t.imaps_port)
    }

    /// The DER certificate of the CA that issued the server certificate ([`Dovecot::start_tls`]).
    pub fn ca_der(&self) -> Option<Vec<u8>> {
        self.tls.as_ref().map(|t| t.ca_der.clone())
    }

    /// The PEM file of that CA ([`Dovecot::start_tls`]).
    pub fn ca_pem_path(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|_| self.dir.path().join("ca.pem"))
    }

    /// The temporary directory (config, log, mail).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The Maildir of `user`.
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.path().join("mail").join(user)
    }

    /// The server log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// An authenticated admin-side connection for setting up mailboxes.
    pub fn client(&self, user: &str, password: &str) -> ImapClient {
        let mut c = ImapClient::connect(self.port);
        c.ok(&format!("LOGIN {} {}", quote(user), quote(password)));
        c
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM lets the master stop its auth and imap processes.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A minimal blocking IMAP client for test set-up (APPEND, CREATE, DELETE, flags).
pub struct ImapClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl ImapClient {
    fn connect(port: u16) -> Self {
        let writer = TcpStream::connect(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("connect to dovecot: {e}"));
        writer.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let reader = BufReader::new(
            writer
                .try_clone()
                .unwrap_or_else(|e| panic!("clone socket: {e}")),
        );
        let mut c = Self {
            reader,
            writer,
            tag: 0,
        };
        let greeting = c.line();
        assert!(greeting.starts_with("* OK"), "greeting: {greeting}");
        c
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => panic!("dovecot closed the connection"),
            Ok(_) => line,
            Err(e) => panic!("reading from dovecot: {e}"),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("writing to dovecot: {e}"));
    }

    /// Runs a command; returns the untagged lines. Panics unless it ends in OK.
    pub fn ok(&mut self, command: &str) -> Vec<String> {
        let (status, lines) = self.run(command);
        assert!(status.contains(" OK"), "{command:?} failed: {status}");
        lines
    }

    /// Runs a command; returns the tagged status line and the untagged lines.
    pub fn run(&mut self, command: &str) -> (String, Vec<String>) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.send(format!("{tag} {command}\r\n").as_bytes());
        self.collect(&tag)
    }

    fn collect(&mut self, tag: &str) -> (String, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            if line.starts_with(&format!("{tag} ")) {
                return (line, lines);
            }
            lines.push(line);
        }
    }

    /// Appends a raw message to `folder` (modified UTF-7 name) with optional flags, e.g. `(\\Seen)`.
    pub fn append(&mut self, folder: &str, flags: Option<&str>, raw: &[u8]) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        let flags = flags.map(|f| format!(" {f}")).unwrap_or_default();
        self.send(
            format!(
                "{tag} APPEND {}{flags} {{{}}}\r\n",
                quote(folder),
                raw.len()
            )
            .as_bytes(),
        );
        let cont = self.line();
        assert!(cont.starts_with('+'), "APPEND refused: {cont}");
        self.send(raw);
        self.send(b"\r\n");
        let (status, _) = self.collect(&tag);
        assert!(status.contains(" OK"), "APPEND failed: {status}");
    }

    /// Creates a folder.
    pub fn create(&mut self, folder: &str) {
        self.ok(&format!("CREATE {}", quote(folder)));
    }

    /// Deletes and creates `folder` again: it gets a new UIDVALIDITY (its messages are gone; append them
    /// again to simulate a server that renumbered the folder). Not for INBOX, which IMAP cannot delete.
    pub fn recreate(&mut self, folder: &str) {
        self.ok(&format!("DELETE {}", quote(folder)));
        self.ok(&format!("CREATE {}", quote(folder)));
    }

    /// UIDVALIDITY of a folder.
    pub fn uidvalidity(&mut self, folder: &str) -> u32 {
        let lines = self.ok(&format!("STATUS {} (UIDVALIDITY)", quote(folder)));
        lines
            .iter()
            .find_map(|l| {
                let at = l.find("UIDVALIDITY ")? + "UIDVALIDITY ".len();
                l[at..]
                    .trim_end_matches(|c: char| !c.is_ascii_digit())
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no UIDVALIDITY in {lines:?}"))
    }

    /// Number of messages of `folder` carrying `\Seen` (read-only look: EXAMINE).
    pub fn seen_count(&mut self, folder: &str) -> usize {
        self.ok(&format!("EXAMINE {}", quote(folder)));
        let lines = self.ok("SEARCH SEEN");
        lines
            .iter()
            .filter(|l| l.starts_with("* SEARCH"))
            .map(|l| l.split_whitespace().skip(2).count())
            .sum()
    }

    /// Number of messages in `folder`.
    pub fn count(&mut self, folder: &str) -> usize {
        let lines = self.ok(&format!("STATUS {} (MESSAGES)", quote(folder)));
        lines
            .iter()
            .find_map(|l| {
                let at = l.find("MESSAGES ")? + "MESSAGES ".len();
                l[at..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }
}

/// Writes `cert.pem` and `key.pem` (a server certificate for 127.0.0.1 and localhost) into `dir` and
/// returns the DER certificate of the throwaway CA that issued it (also written as `ca.pem`).
fn make_certificates(dir: &Path) -> Result<Vec<u8>, String> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let err = |e: rcgen::Error| format!("test certificate: {e}");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "crm-platform test CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?).map_err(err)?;
    let key = KeyPair::generate().map_err(err)?;
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(err)?
        .signed_by(&key, &ca)
        .map_err(err)?;
    for (name, body) in [
        ("cert.pem", cert.pem()),
        ("key.pem", key.serialize_pem()),
        ("ca.pem", ca.pem()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, body).map_err(|e| e.to_string())?;
        set_mode(&path, 0o644)?;
    }
    Ok(ca.der().to_vec())
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn current_user() -> Result<String, String> {
    Command::new("id")
        .arg("-un")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .map_err(|e| e.to_string())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())
}

fn chown(path: &Path, user: &str) -> Result<(), String> {
    let ok = Command::new("chown")
        .arg(format!("{user}:{user}"))
        .arg(path)
        .status()
        .map_err(|e| e.to_string())?;
    if ok.success() {
        Ok(())
    } else {
        Err(format!("chown {user} failed"))
    }
}
