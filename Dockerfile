# syntax=docker/dockerfile:1
#
# One image for both binaries: `api` (default command) and `workers`.
#   docker build -t crm-platform .          (BuildKit: the cache mounts below need it)
#   docker run ... crm-platform workers      runs the workers instead of the API

ARG RUST_VERSION=1.95
ARG PG_MAJOR=16

# --- build ---------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS builder

# diesel links against libpq; openssl-sys builds against the OpenSSL that libpq uses.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# Cache mounts keep the crate registry and the target folder between builds; they are not part of
# the image, so the binaries are copied out in the same step.
RUN --mount=type=cache,id=crm-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=crm-cargo-git,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,id=crm-target,target=/src/target,sharing=locked \
    cargo build --release --locked -p crm-api -p crm-workers \
    && install -D -m 0755 -t /out target/release/api target/release/workers

# --- runtime -------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
ARG PG_MAJOR

# libpq5 for diesel; ca-certificates for outgoing TLS (mail and HTTP providers); the PostgreSQL
# client for the backup job, which runs pg_dump/psql. pg_dump refuses to dump a server of a newer
# major version, so the client must be >= the server (postgres:16 in docker-compose.yml) while
# bookworm only ships 15: it comes from the PostgreSQL project's apt repository (PGDG) instead.
# Raise PG_MAJOR together with the server version.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
        https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends libpq5 "postgresql-client-${PG_MAJOR}"; \
    apt-get purge -y --auto-remove curl; \
    rm -rf /var/lib/apt/lists/*

# Unprivileged account with a fixed uid, so volume ownership is predictable across rebuilds.
RUN groupadd --system --gid 10001 crm \
    && useradd --system --uid 10001 --gid crm --home-dir /var/lib/crm --shell /usr/sbin/nologin crm \
    && install -d -o crm -g crm /var/lib/crm /var/lib/crm/backups

COPY --from=builder /out/api /out/workers /usr/local/bin/

# Container defaults; docker-compose.yml and the environment override them.
ENV API_BIND=0.0.0.0:8080 \
    LOG_FORMAT=json \
    BACKUP_DIR=/var/lib/crm/backups \
    PG_BIN_DIR=/usr/lib/postgresql/${PG_MAJOR}/bin

USER 10001:10001
WORKDIR /var/lib/crm
EXPOSE 8080
CMD ["api"]
