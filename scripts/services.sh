#!/usr/bin/env bash
# Starts every service the tests talk to, on 127.0.0.1. Idempotent: a running service is left
# alone. PostgreSQL and MariaDB come with the machine; this only starts them if they stopped
# and adds what the tests need (a password-checked role for the rejected-password test).
set -euo pipefail

log() { echo "services: $*" >&2; }

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! pg_ready; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { log "PostgreSQL did not start"; exit 1; }

# CDC (mode: cdc) reads the write-ahead log through logical replication, which needs
# wal_level=logical; the setting takes effect only at a restart, so restart only when it differs.
if [ "$(psql -h 127.0.0.1 -U postgres -d postgres -tAc 'show wal_level')" != logical ]; then
  log "setting PostgreSQL wal_level=logical (ALTER SYSTEM) and restarting the cluster"
  psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'alter system set wal_level = logical' >/dev/null
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main restart
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { log "PostgreSQL did not come back after the restart"; exit 1; }
fi

# The machine's PostgreSQL trusts every local login; the rejected-password test needs one role
# whose password is really checked.
hba=$(psql -h 127.0.0.1 -U postgres -d postgres -tAc 'show hba_file')
if ! grep -q '^host all rivet_pw ' "$hba"; then
  log "adding a scram-sha-256 rule for role rivet_pw to $hba"
  sed -i '1i host all rivet_pw 127.0.0.1/32 scram-sha-256' "$hba"
  psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'select pg_reload_conf()' >/dev/null
fi
psql -h 127.0.0.1 -U postgres -d postgres -qtA >/dev/null <<'SQL'
do $$ begin
  if not exists (select from pg_roles where rolname = 'rivet_pw') then
    create role rivet_pw login password 'rivet-test-password';
  end if;
end $$;
SQL

maria_ready() { mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; }
if command -v mariadbd >/dev/null && ! maria_ready; then
  log "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 30); do maria_ready && break; sleep 1; done
fi

maria_ready || { log "MariaDB did not start"; exit 1; }
# A password-checked MariaDB user for the login tests (root has no password here).
mariadb -h 127.0.0.1 -u root -e "create user if not exists 'rivet_pw'@'%' identified by 'rivet-test-password'; grant select on test.* to 'rivet_pw'@'%';"

# Object stores. Go-built servers are cached outside the repository so later runs reuse them.
BIN="${RIVET_TEST_BIN:-$HOME/.cache/rivet-test-bin}"
RUN="${RIVET_TEST_RUN:-/tmp/rivet-services}"
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
FAKE_GCS_VERSION=v1.56.1
mkdir -p "$BIN" "$RUN"

go_install() { # module@version binary
  if [ ! -x "$BIN/$2" ]; then
    log "building $1 (once; cached in $BIN)"
    GOBIN="$BIN" GOFLAGS=-mod=mod go install "$1"
  fi
}
# Installs the Debian packages not installed yet (apt's lists are refreshed only when needed).
apt_install() { # package...
  local missing="" pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing="$missing $pkg"
  done
  [ -n "$missing" ] || return 0
  log "installing:$missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  }
}
up() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }
wait_up() { # url name
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done
  log "$2 did not start; see $RUN/$2.log"; exit 1
}
start() { # name command...
  local name=$1; shift
  log "starting $name"
  nohup setsid "$@" >"$RUN/$name.log" 2>&1 < /dev/null &
}

go_install "github.com/minio/minio@$MINIO_VERSION" minio
# MINIO_DOMAIN lets MinIO take virtual-hosted requests (<bucket>.localhost:9000) besides
# path-style ones. A MinIO started by an older version of this script without it is restarted.
MINIO_SETTINGS="domain=localhost"
if up http://127.0.0.1:9000/minio/health/live && [ "$(cat "$RUN/minio.settings" 2>/dev/null)" != "$MINIO_SETTINGS" ]; then
  log "restarting minio with $MINIO_SETTINGS"
  pkill -f "$BIN/minio server" || true
  for _ in $(seq 1 20); do up http://127.0.0.1:9000/minio/health/live || break; sleep 0.5; done
fi
if ! up http://127.0.0.1:9000/minio/health/live; then
  MINIO_ROOT_USER=rivet-root MINIO_ROOT_PASSWORD=rivet-root-secret-123 MINIO_BROWSER=off MINIO_DOMAIN=localhost \
    start minio "$BIN/minio" server "$RUN/minio-data" --address 127.0.0.1:9000 --quiet
  wait_up http://127.0.0.1:9000/minio/health/live minio
  echo "$MINIO_SETTINGS" > "$RUN/minio.settings"
fi

# A second MinIO in region eu-north-1: it refuses a signature for any other region with 400
# AuthorizationHeaderMalformed and names its region in x-amz-bucket-region, as AWS does.
if ! up http://127.0.0.1:9100/minio/health/live; then
  MINIO_ROOT_USER=rivet-root MINIO_ROOT_PASSWORD=rivet-root-secret-123 MINIO_BROWSER=off MINIO_REGION=eu-north-1 \
    start minio-eu "$BIN/minio" server "$RUN/minio-eu-data" --address 127.0.0.1:9100 --quiet
  wait_up http://127.0.0.1:9100/minio/health/live minio-eu
fi

go_install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION" fake-gcs-server
if ! up http://127.0.0.1:4443/storage/v1/b; then
  start fake-gcs-server "$BIN/fake-gcs-server" -scheme http -host 127.0.0.1 -port 4443 \
    -public-host 127.0.0.1:4443 -backend memory -log-level warn
  wait_up http://127.0.0.1:4443/storage/v1/b fake-gcs-server
fi

# Apache Arrow's Go Parquet reader: one of the independent readers of tests/formats/parquet-*.test.ts.
go_install "github.com/apache/arrow-go/v18/parquet/cmd/parquet_reader@v18.9.0" parquet_reader

AZURITE="$(cd "$(dirname "$0")/.." && pwd)/node_modules/.bin/azurite-blob"
if ! curl -s -o /dev/null --max-time 2 http://127.0.0.1:10000/ 2>/dev/null; then
  start azurite "$AZURITE" --blobHost 127.0.0.1 --blobPort 10000 --location "$RUN/azurite" \
    --disableTelemetry --skipApiVersionCheck --silent
  for _ in $(seq 1 60); do curl -s -o /dev/null --max-time 2 http://127.0.0.1:10000/ && break; sleep 0.5; done
fi

# Toxiproxy: the fault injector of tests/resilience (latency, bandwidth, resets, timeouts, a
# service down), driven through its HTTP API on 8474. Its module names the binary `server`.
if [ ! -x "$BIN/toxiproxy-server" ]; then
  go_install "github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0" server
  mv "$BIN/server" "$BIN/toxiproxy-server"
fi
if ! up http://127.0.0.1:8474/version; then
  start toxiproxy "$BIN/toxiproxy-server" -host 127.0.0.1 -port 8474
  wait_up http://127.0.0.1:8474/version toxiproxy
fi

# Prometheus Pushgateway for tests/pipeline/metrics.test.ts: rivet pushes to it and the test
# reads the metrics back through its JSON API, parsed by the Pushgateway itself.
go_install "github.com/prometheus/pushgateway@v1.11.5" pushgateway
if ! up http://127.0.0.1:9091/-/ready; then
  start pushgateway "$BIN/pushgateway" --web.listen-address=127.0.0.1:9091
  wait_up http://127.0.0.1:9091/-/ready pushgateway
fi

# Babelfish for PostgreSQL: a real TDS server (SQL Server's protocol) for
# tests/sources/sqlserver-real.test.ts, from the prebuilt tarball beside the clone. It is its own
# PostgreSQL 16 (127.0.0.1:5433, data in /opt/babelfish-data, TDS on 127.0.0.1:1433), apart from
# the machine's PostgreSQL on 5432. The shared start.sh installs, initialises and starts it (it
# writes only under /opt, so the read-only shared directory is fine); logins check passwords
# (md5), and TLS is added here: a self-signed certificate under $RUN and a config file of our own
# that start.sh does not rewrite.
BBF_SHARED="$(cd "$(dirname "$0")/.." && pwd)/../shared/babelfish"
if [ -f "$BBF_SHARED/start.sh" ]; then
  BBF_DATA=/opt/babelfish-data
  BBF_TLS="$RUN/babelfish-tls"
  bbf_pg() { runuser -u babelfish -- "$@"; }
  # Babelfish's runtime packages, and openssl for its certificate.
  apt_install libossp-uuid16 libicu72 libxml2 libssl3 libreadline8 zlib1g openssl
  # A cluster whose certificate is gone (a new /tmp) would not start with TLS on: start it without.
  [ -s "$BBF_TLS/server.crt" ] || rm -f "$BBF_DATA/rivet-tls.conf"
  BBF_TCP_AUTH=md5 bash "$BBF_SHARED/start.sh" "$BBF_SHARED/babelfish-install.tgz" >"$RUN/babelfish-start.log" 2>&1 || {
    tail -20 "$RUN/babelfish-start.log" >&2; log "Babelfish did not start"; exit 1
  }
  if [ ! -s "$BBF_TLS/server.crt" ]; then
    log "creating a self-signed certificate for Babelfish in $BBF_TLS"
    mkdir -p "$BBF_TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$BBF_TLS/server.key" -out "$BBF_TLS/server.crt" >/dev/null 2>&1
    chown -R babelfish:babelfish "$BBF_TLS"
    chmod 600 "$BBF_TLS/server.key"
  fi
  bbf_conf="ssl = on
ssl_cert_file = '$BBF_TLS/server.crt'
ssl_key_file = '$BBF_TLS/server.key'"
  if [ "$(cat "$BBF_DATA/rivet-tls.conf" 2>/dev/null)" != "$bbf_conf" ]; then
    echo "$bbf_conf" >"$BBF_DATA/rivet-tls.conf"
    chown babelfish:babelfish "$BBF_DATA/rivet-tls.conf"
  fi
  grep -q "^include_if_exists = 'rivet-tls.conf'" "$BBF_DATA/postgresql.conf" ||
    echo "include_if_exists = 'rivet-tls.conf'" >>"$BBF_DATA/postgresql.conf"
  # TDS reads the TLS settings only when the server starts: restart a server older than them.
  bbf_started=$(bbf_pg /opt/babelfish/bin/psql -X -h /tmp -p 5433 -d postgres -tAc \
    'select extract(epoch from pg_postmaster_start_time())')
  bbf_changed=$(stat -c %.9Y "$BBF_DATA/rivet-tls.conf" "$BBF_TLS/server.crt" | sort -n | tail -1)
  if awk -v s="$bbf_started" -v c="$bbf_changed" 'BEGIN { exit !(s <= c) }'; then
    log "restarting Babelfish with TLS"
    bbf_pg /opt/babelfish/bin/pg_ctl -D "$BBF_DATA" -l "$BBF_DATA/logfile" -w -t 60 restart >/dev/null
    for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/1433) 2>/dev/null && break; sleep 0.5; done
  fi
  (exec 3<>/dev/tcp/127.0.0.1/1433) 2>/dev/null || { log "Babelfish's TDS port did not answer"; exit 1; }
fi

# tests/release: the linux arm64 binary runs under QEMU user-mode emulation with Debian's arm64
# C runtime; unzip reads the Windows archive back. tests/resilience/kill-local: strace delays
# renames, a slow directory for the SIGKILL-at-a-commit-step test.
apt_install qemu-user-static libc6-arm64-cross unzip strace

log "ready"
