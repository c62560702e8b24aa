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

log "ready"
