//! Postgres: server version, pool state, latency of `SELECT 1`.

use std::time::Instant;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;
use shared::db::{DbError, PgPool, run_blocking};

use super::{bounded, elapsed_ms};

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PostgresHealth {
    pub up: bool,
    pub version: Option<String>,
    /// Round trip of `SELECT 1` on a pooled connection.
    pub latency_ms: Option<f64>,
    pub pool: PoolStats,
    pub error: Option<String>,
}

/// The connection pool's state.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PoolStats {
    pub max_size: u32,
    /// Connections open (idle or in use).
    pub connections: u32,
    pub idle: u32,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

pub(super) async fn check(pool: &PgPool) -> PostgresHealth {
    let probe = run_blocking(pool, |conn| {
        let start = Instant::now();
        diesel::sql_query("SELECT 1").execute(conn)?;
        let latency = elapsed_ms(start);
        let v: Version = diesel::sql_query("SELECT current_setting('server_version') AS version")
            .get_result(conn)?;
        Ok::<_, DbError>((v.version, latency))
    });
    let result = bounded("postgres", probe).await;
    let state = pool.state();
    let pool_stats = PoolStats {
        max_size: pool.max_size(),
        connections: state.connections,
        idle: state.idle_connections,
    };
    match result {
        Ok((version, latency)) => PostgresHealth {
            up: true,
            version: Some(version),
            latency_ms: Some(latency),
            pool: pool_stats,
            error: None,
        },
        Err(error) => PostgresHealth {
            up: false,
            pool: pool_stats,
            error: Some(error),
            ..Default::default()
        },
    }
}
