//! Figures Redis reports about itself: `INFO` sections (CPU, persistence) and `INFO commandstats`.

use std::collections::{BTreeMap, HashMap};

use shared::redis_conn::RedisConn;

pub fn redis_info(raw: &str) -> HashMap<String, String> {
    raw.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
        .collect()
}

/// Redis' own CPU seconds (user + sys).
pub async fn redis_cpu(conn: &mut RedisConn) -> anyhow::Result<f64> {
    Ok(redis_cpu_split(conn).await?.0)
}

/// Redis' CPU seconds: its own, and its finished children's (AOF rewrites), plus AOF rewrites started so far.
pub async fn redis_cpu_split(conn: &mut RedisConn) -> anyhow::Result<(f64, f64, u64)> {
    // One section per INFO call: Redis before 7 takes a single section name.
    let (cpu, persistence): (String, String) = redis::pipe()
        .cmd("INFO")
        .arg("cpu")
        .cmd("INFO")
        .arg("persistence")
        .query_async(conn)
        .await?;
    let info = redis_info(&(cpu + &persistence));
    let get = |k: &str| {
        info.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Ok((
        get("used_cpu_user") + get("used_cpu_sys"),
        get("used_cpu_user_children") + get("used_cpu_sys_children"),
        get("aof_rewrites") as u64 + get("aof_rewrite_in_progress") as u64,
    ))
}

/// Calls per command from `INFO commandstats`.
pub fn commandstats(raw: &str) -> BTreeMap<String, u64> {
    commandstats_field(raw, "calls=")
}

/// One numeric field (`calls=`, `usec=`) per command from `INFO commandstats`.
pub fn commandstats_field(raw: &str, field: &str) -> BTreeMap<String, u64> {
    raw.lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let value = rest
                .split(',')
                .find_map(|kv| kv.strip_prefix(field))?
                .parse()
                .ok()?;
            Some((name.to_owned(), value))
        })
        .collect()
}
