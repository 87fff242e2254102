//! A throwaway Dovecot IMAP server on loopback for tests, and a minimal IMAP client.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `dovecot` binary, or `None` (with a notice) when it is not installed.
pub fn binary() -> Option<PathBuf> {
    let candidates = [PathBuf::from("/usr/sbin/dovecot"), PathBuf::from("dovecot")];
    for c in candidates {
        if Command::new(&c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(c);
        }
    }
    assert!(
        std::env::var("CRM_REQUIRE_DOVECOT").as_deref() != Ok("1"),
        "dovecot is required (CRM_REQUIRE_DOVECOT=1) but not installed: apt-get install -y dovecot-imapd"
    );
    eprintln!("skipped: dovecot not installed (apt-get install -y dovecot-imapd)");
    None
}

/// A running Dovecot serving one user whose mbox folders are given at start.
pub struct Server {
    _dir: tempfile::TempDir,
    config: PathBuf,
    bin: PathBuf,
    child: Child,
    port: u16,
}

pub const USER: &str = "crmtest";
pub const PASSWORD: &str = "secret-for-tests";

impl Server {
    pub fn start(bin: &Path, folders: &[(String, Vec<u8>)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mail = root.join("home").join(USER).join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        std::fs::write(mail.join("inbox"), b"").unwrap();
        for (name, mbox) in folders {
            std::fs::write(mail.join(name), mbox).unwrap();
        }
        for sub in ["run", "state"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();

        // As root, mail is owned by the `dovecot` system user (Dovecot refuses uid 0 for mail);
        // otherwise everything runs as the current user.
        let me = std::fs::metadata(root).unwrap().uid();
        let (user_line, extra) = if me == 0 {
            chown_tree(&root.join("home"), "dovecot");
            ("uid=dovecot gid=dovecot".to_string(), String::new())
        } else {
            let name = whoami();
            (
                format!("uid={me} gid={}", std::fs::metadata(root).unwrap().gid()),
                format!("default_internal_user = {name}\ndefault_login_user = {name}\n"),
            )
        };
        let port = free_port();
        let r = root.display();
        let config = root.join("dovecot.conf");
        std::fs::write(
            &config,
            format!(
                "base_dir = {r}/run\nstate_dir = {r}/state\nlog_path = {r}/dovecot.log\n\
                 protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
                 auth_mechanisms = plain\nfirst_valid_uid = 1\n{extra}\
                 mail_location = mbox:~/mail:INBOX=~/mail/inbox\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/passwd\n}}\n\
                 userdb {{\n  driver = static\n  args = {user_line} home={r}/home/%u\n}}\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                 service anvil {{\n  chroot =\n}}\n"
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("-c")
            .arg(&config)
            .arg("-F")
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut server = Server {
            _dir: dir,
            config,
            bin: bin.to_path_buf(),
            child,
            port,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let mut greeting = String::new();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                if BufReader::new(stream).read_line(&mut greeting).is_ok()
                    && greeting.starts_with("* OK")
                {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("dovecot exited at start ({status}); log: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not listen in time; log: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// A logged-in IMAP session.
    pub fn login(&self) -> Imap {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut imap = Imap {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            tag: 0,
        };
        let mut greeting = String::new();
        imap.reader.read_line(&mut greeting).unwrap();
        imap.command(&format!("LOGIN {USER} {PASSWORD}"));
        imap
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new(&self.bin)
            .arg("-c")
            .arg(&self.config)
            .arg("stop")
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal IMAP client: tagged commands, untagged lines collected.
pub struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Imap {
    /// Run a command; returns its untagged lines, panics unless it ends in OK.
    pub fn command(&mut self, command: &str) -> Vec<String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.writer, "{tag} {command}\r\n").unwrap();
        let mut untagged = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                self.reader.read_line(&mut line).unwrap() > 0,
                "connection closed during {command}"
            );
            let line = line.trim_end().to_string();
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                assert!(rest.starts_with("OK"), "{command} failed: {rest}");
                return untagged;
            }
            untagged.push(line);
        }
    }

    /// `THREAD REFERENCES UTF-8 ALL` on a folder: the list without `* THREAD `.
    pub fn thread(&mut self, folder: &str) -> String {
        self.command(&format!("SELECT \"{folder}\""));
        let lines = self.command("THREAD REFERENCES UTF-8 ALL");
        lines
            .iter()
            .find_map(|l| l.strip_prefix("* THREAD").map(|s| s.trim().to_string()))
            .expect("no THREAD response")
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chown_tree(path: &Path, user: &str) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{user}:{user}"))
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "chown failed");
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
