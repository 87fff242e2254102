//! A throwaway Redis Sentinel group per test (feature `test-utils`): one primary, one replica and three
//! sentinels from Debian's `redis-server` (`--sentinel` for the sentinels), on loopback, on free ports,
//! with their files in a temporary directory; killed on drop.
//!
//! The data nodes run with `min-replicas-to-write 1`, which the platform's sentinel mode requires (see
//! `docs/redis-sentinel.md`): a primary whose replica was promoted refuses writes instead of taking writes
//! that would be lost. The sentinels fail over fast: `down-after-milliseconds` 1 s, and (`SENTINEL DEBUG`,
//! Redis 7) the demoted primary is reconfigured as a replica after about 1 s instead of 8 to 10 s.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::config::SentinelConfig;
use crate::redis_conn::RedisTarget;

/// Where Debian's `redis-server` installs the server (sentinels are the same binary).
pub const REDIS_BIN: &str = "/usr/bin/redis-server";
/// The master name the sentinels monitor.
pub const MASTER: &str = "crm";

/// A running primary, replica and three sentinels.
pub struct SentinelGroup {
    _dir: tempfile::TempDir,
    /// Ports of the two data nodes: `[first primary, first replica]`.
    nodes: [u16; 2],
    sentinels: [u16; 3],
    children: Vec<Child>,
}

impl SentinelGroup {
    /// Starts the group and waits until the replica is in sync and every sentinel knows the replica and
    /// the two other sentinels (what a failover needs). Panics when `redis-server` is missing or the group
    /// does not come up.
    pub fn start() -> Self {
        Self::try_start().unwrap_or_else(|e| panic!("cannot start the sentinel group: {e}"))
    }

    fn try_start() -> Result<Self, String> {
        if !Path::new(REDIS_BIN).exists() {
            return Err(format!("{REDIS_BIN} not found: install redis-server"));
        }
        let dir = tempfile::Builder::new()
            .prefix("crm-sentinel-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let nodes = [free_port()?, free_port()?];
        let sentinels = [free_port()?, free_port()?, free_port()?];
        let mut group = Self {
            _dir: dir,
            nodes,
            sentinels,
            children: Vec::new(),
        };
        let base = group._dir.path().to_path_buf();
        for (i, port) in nodes.iter().enumerate() {
            let mut conf = format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\ndbfilename node{i}.rdb\nsave \"\"\nappendonly no\n\
                 min-replicas-to-write 1\nmin-replicas-max-lag 10\nrepl-diskless-sync-delay 0\n",
                dir = base.display()
            );
            if i == 1 {
                conf.push_str(&format!("replicaof 127.0.0.1 {}\n", nodes[0]));
            }
            let path = base.join(format!("node{i}.conf"));
            std::fs::write(&path, conf).map_err(|e| e.to_string())?;
            group.spawn(&path, false)?;
        }
        for (i, port) in sentinels.iter().enumerate() {
            let conf = format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                 sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n\
                 sentinel down-after-milliseconds {MASTER} 1000\n\
                 sentinel failover-timeout {MASTER} 3000\n\
                 sentinel parallel-syncs {MASTER} 1\n",
                dir = base.display(),
                primary = nodes[0],
            );
            let path = base.join(format!("sentinel{i}.conf"));
            std::fs::write(&path, conf).map_err(|e| e.to_string())?;
            group.spawn(&path, true)?;
        }
        group.wait_ready(Duration::from_secs(30))?;
        for port in sentinels {
            // Redis 7's test knobs: how often sentinels poll INFO and publish hellos; the demoted primary is
            // converted once it has reported itself master for 4 publish periods.
            query(
                port,
                redis::cmd("SENTINEL")
                    .arg("DEBUG")
                    .arg("info-period")
                    .arg(500)
                    .arg("publish-period")
                    .arg(500),
            )
            .map(|_: redis::Value| ())?;
        }
        Ok(group)
    }

    fn spawn(&mut self, conf: &Path, sentinel: bool) -> Result<(), String> {
        let mut cmd = Command::new(REDIS_BIN);
        cmd.arg(conf);
        if sentinel {
            cmd.arg("--sentinel");
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        self.children.push(child);
        Ok(())
    }

    fn wait_ready(&self, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            if self.ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("the replica or the sentinels did not come up".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn ready(&self) -> bool {
        let synced = query::<String>(self.nodes[1], redis::cmd("INFO").arg("replication"))
            .is_ok_and(|info| info.contains("master_link_status:up"));
        synced
            && self.sentinels.iter().all(|port| {
                let replicas = query::<Vec<redis::Value>>(
                    *port,
                    redis::cmd("SENTINEL").arg("REPLICAS").arg(MASTER),
                );
                let peers = query::<Vec<redis::Value>>(
                    *port,
                    redis::cmd("SENTINEL").arg("SENTINELS").arg(MASTER),
                );
                replicas.is_ok_and(|r| !r.is_empty()) && peers.is_ok_and(|p| p.len() == 2)
            })
    }

    /// `host:port` of the sentinels, as `REDIS_SENTINELS` takes them.
    pub fn sentinels_env(&self) -> String {
        self.sentinels
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The env of a process in sentinel mode: `REDIS_URL` (credentials and db only: its host and port
    /// name a port nothing listens on, so a process that used them would fail), `REDIS_SENTINELS`,
    /// `REDIS_SENTINEL_MASTER`.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("REDIS_URL".into(), "redis://127.0.0.1:1/0".into()),
            ("REDIS_SENTINELS".into(), self.sentinels_env()),
            ("REDIS_SENTINEL_MASTER".into(), MASTER.into()),
        ]
    }

    /// The target a test process connects through, in sentinel mode.
    pub fn target(&self) -> RedisTarget {
        RedisTarget::new(
            SecretString::from("redis://127.0.0.1:1/0"),
            Some(SentinelConfig {
                sentinels: self
                    .sentinels
                    .iter()
                    .map(|p| ("127.0.0.1".to_owned(), *p))
                    .collect(),
                master: MASTER.into(),
                password: None,
                enqueue_wait: Duration::from_secs(1),
            }),
        )
    }

    /// The port the sentinels name as master now.
    pub fn master_port(&self) -> Option<u16> {
        self.sentinels.iter().find_map(|port| {
            query::<(String, u16)>(
                *port,
                redis::cmd("SENTINEL")
                    .arg("GET-MASTER-ADDR-BY-NAME")
                    .arg(MASTER),
            )
            .ok()
            .map(|(_, p)| p)
        })
    }

    /// URL of a data node by port (for direct checks).
    pub fn node_url(port: u16) -> String {
        format!("redis://127.0.0.1:{port}/0")
    }

    /// Ports of the two data nodes.
    pub fn nodes(&self) -> [u16; 2] {
        self.nodes
    }

    /// Starts a failover as an operator would (`SENTINEL FAILOVER`): the replica is promoted, the old
    /// primary becomes its replica.
    pub fn failover(&self) -> Result<(), String> {
        query(
            self.sentinels[0],
            redis::cmd("SENTINEL").arg("FAILOVER").arg(MASTER),
        )
        .map(|_: redis::Value| ())
    }

    /// Waits until the sentinels name another master than `old` and that node accepts writes.
    pub fn wait_new_master(&self, old: u16, within: Duration) -> Result<u16, String> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(port) = self.master_port().filter(|p| *p != old) {
                let write =
                    query::<String>(port, redis::cmd("SET").arg("sentinel-test:probe").arg(1));
                if write.is_ok() {
                    return Ok(port);
                }
            }
            if Instant::now() > deadline {
                return Err("no new writable master".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SentinelGroup {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// One command to the node or sentinel on `port`.
pub fn query<T: redis::FromRedisValue>(port: u16, cmd: &mut redis::Cmd) -> Result<T, String> {
    let client =
        redis::Client::open(format!("redis://127.0.0.1:{port}/")).map_err(|e| e.to_string())?;
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    cmd.query(&mut conn).map_err(|e| e.to_string())
}
