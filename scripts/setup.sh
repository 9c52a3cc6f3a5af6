#!/usr/bin/env bash
# Installs what Wave and its tests need on a fresh machine, then builds Wave.
#   Debian/Ubuntu (root or sudo): ffmpeg, nginx + rtmp module, Docker engine, socat, openssl, redis-server,
#   prometheus (the tests' `promtool check metrics`) and postgresql (the tests' own PostgreSQL servers) via apt.
#   macOS: ffmpeg, socat, redis, prometheus, postgresql@15 via Homebrew; Docker Desktop provides the engine (start it first).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "setup: Node.js ^20.19, ^22.12, 24 or 25 is required (https://nodejs.org or your package manager)" >&2
    exit 1
  fi
  # Same range as "engines" in package.json (semver is not installed yet).
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a===20&&b>=19)||(a===22&&b>=12)||a===24||a===25?0:1)' || {
    echo "setup: Node.js ^20.19, ^22.12, 24 or 25 is required, found $(node --version)" >&2
    exit 1
  }
}

install_debian() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # prometheus brings promtool, which the e2e suite runs on /metrics.
  local packages=(ffmpeg nginx libnginx-mod-rtmp socat openssl redis-server docker.io iproute2 procps prometheus)
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Any PostgreSQL server will do for the tests (Debian's postgresql-16 from apt.postgresql.org, say).
  postgres_bin >/dev/null || missing+=(postgresql)
  # A machine with Docker from docker.com (docker-ce) needs no docker.io.
  if command -v dockerd >/dev/null 2>&1; then
    local filtered=()
    for p in "${missing[@]}"; do [ "$p" = docker.io ] || filtered+=("$p"); done
    missing=("${filtered[@]+"${filtered[@]}"}")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    deny_service_starts "$sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    allow_service_starts "$sudo"
  fi
  # Debian starts nginx and redis as system services on install; Wave and its tests run their own.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now nginx redis-server >/dev/null 2>&1 || true
    # Only promtool is needed: a Prometheus server this script installed is not left running (one that was
    # already installed is the operator's, and stays as it is).
    if [[ " ${missing[*]-} " == *" prometheus "* ]]; then
      $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
    # The tests start PostgreSQL servers of their own: the package's cluster `main` is not left running (a
    # PostgreSQL that was already installed is the operator's, and may well be Wave's DATABASE_URL).
    if [[ " ${missing[*]-} " == *" postgresql "* ]]; then
      $sudo systemctl disable --now postgresql >/dev/null 2>&1 || true
    fi
    # The RTMP ingest runs on the system's Docker engine.
    $sudo systemctl enable --now docker >/dev/null 2>&1 || true
  elif [[ " ${missing[*]-} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null 2>&1; then
    # No init system: a cluster the package started anyway (a policy-rc.d that allows it) is stopped.
    pg_lsclusters -h 2>/dev/null | while read -r version cluster _ status _; do
      [ "$status" != online ] || $sudo pg_ctlcluster "$version" "$cluster" stop >/dev/null 2>&1 || true
    done
  fi
  start_engine_without_init "$sudo"
}

# Where no init system runs (a container, a minimal VM), Debian's maintainer scripts start services through the
# init.d scripts: postgresql's starts the cluster `main` it creates on 5432 and fails the whole install when that
# start fails. A policy-rc.d that denies every start (what Docker's Debian images ship) is in place while apt-get
# runs, unless one is there already. With systemd the services are stopped afterwards instead (above).
policy_rc=/usr/sbin/policy-rc.d
policy_rc_mark="# written by Wave's scripts/setup.sh for the length of one apt-get install"
deny_service_starts() {
  local sudo="$1"
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then return 0; fi
  [ -e "$policy_rc" ] && return 0
  printf '#!/bin/sh\n%s\nexit 101\n' "$policy_rc_mark" | $sudo tee "$policy_rc" >/dev/null
  $sudo chmod 755 "$policy_rc"
  # Gone again however setup ends (a failed apt-get stops it under errexit).
  trap 'allow_service_starts "'"$sudo"'"' EXIT
}
allow_service_starts() {
  local sudo="$1"
  if [ -f "$policy_rc" ] && grep -qF "$policy_rc_mark" "$policy_rc"; then $sudo rm -f "$policy_rc"; fi
  trap - EXIT
}

# The directory with PostgreSQL's server programs (initdb, postgres): Debian's /usr/lib/postgresql/<newest>/bin,
# Homebrew's keg-only postgresql@N, or PATH's. test/env/postgres-server.ts looks in the same places.
postgres_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn) /opt/homebrew/opt/postgresql@*/bin /usr/local/opt/postgresql@*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1; then
    dir="$(dirname "$(command -v initdb)")"
    if [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
  fi
  return 1
}

# No init system (a container, a minimal VM): nothing starts dockerd, so setup starts it in the
# background on the default socket, where Wave looks, and says where its log is and how to stop it.
dockerd_log=/var/log/dockerd.log
start_engine_without_init() {
  local sudo="$1"
  engine_answers && return 0
  command -v dockerd >/dev/null 2>&1 || return 0
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then return 0; fi
  if [ -n "$sudo" ] && ! sudo -n true 2>/dev/null; then return 0; fi
  echo "setup: no init system starts Docker here; starting dockerd in the background (log $dockerd_log)"
  $sudo sh -c "setsid nohup dockerd >>$dockerd_log 2>&1 </dev/null &"
  for _ in $(seq 1 100); do
    engine_answers && { engine_started_here=1; return 0; }
    sleep 0.2
  done
  echo "setup: dockerd did not answer within 20 s; see $dockerd_log" >&2
}

engine_answers() {
  docker info >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && sudo -n docker info >/dev/null 2>&1; }
}

install_macos() {
  command -v brew >/dev/null 2>&1 || { echo "setup: Homebrew is required on macOS (https://brew.sh)" >&2; exit 1; }
  for p in ffmpeg socat redis prometheus; do brew list "$p" >/dev/null 2>&1 || brew install "$p"; done
  # Keg-only: not linked onto PATH, found where Homebrew keeps it. Installing starts no service.
  postgres_bin >/dev/null || brew install postgresql@15 || brew install postgresql
  command -v docker >/dev/null 2>&1 || echo "setup: install and start Docker Desktop for the RTMP ingest" >&2
}

# What is ready and what is not, one line each, with what to do for the latter.
summary() {
  local engine image ffmpeg_line pm2_line postgres_line pg_dir
  if docker info >/dev/null 2>&1; then
    engine="ready (Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    [ "$engine_started_here" -eq 1 ] && engine="$engine, started by setup: log $dockerd_log, stop with \`kill \$(cat /var/run/docker.pid)\`"
    if docker image inspect wave/rtmp:latest >/dev/null 2>&1; then image="ready (wave/rtmp:latest)"
    else image="NOT READY: run \`npm run rtmp:image\`"; fi
  else
    case "$(uname -s)" in
      Darwin) engine="NOT READY: start Docker Desktop, then run \`npm run rtmp:image\`" ;;
      *) if [ "$(id -u)" -ne 0 ] && [ -S /var/run/docker.sock ]; then
           engine="NOT READY: $(id -un) may not use /var/run/docker.sock; \`sudo usermod -aG docker $(id -un)\` and log in again"
         else
           engine="NOT READY: start the Docker engine (\`sudo dockerd &\` where no init system runs), then run \`npm run rtmp:image\`"
         fi ;;
    esac
    image="NOT READY: needs the engine"
  fi
  if command -v ffmpeg >/dev/null 2>&1; then ffmpeg_line="ready ($(ffmpeg -version | head -n 1 | cut -d' ' -f1-3))"
  else ffmpeg_line="NOT READY: install ffmpeg"; fi
  if pg_dir="$(postgres_bin)"; then
    postgres_line="ready (PostgreSQL $("$pg_dir/postgres" --version | cut -d' ' -f3), $pg_dir; the tests start their own server)"
  else
    case "$(uname -s)" in
      Darwin) postgres_line="NOT READY: run \`brew install postgresql@15\` (the medium, e2e and chaos tests start their own server)" ;;
      *) postgres_line="NOT READY: run \`apt-get install -y postgresql\` (the medium, e2e and chaos tests start their own server)" ;;
    esac
  fi
  if [ -x node_modules/.bin/pm2 ]; then pm2_line="ready (pm2 $(node -p 'require("pm2/package.json").version'))"
  else pm2_line="NOT READY: run \`npm ci\`"; fi
  echo "setup: done"
  echo "  Docker engine  $engine"
  echo "  RTMP image     $image"
  echo "  ffmpeg         $ffmpeg_line"
  echo "  PM2            $pm2_line"
  echo "  PostgreSQL     $postgres_line"
  case "$engine" in NOT*) echo "  Wave runs without the engine, but the RTMP ingest (DJs publishing live) cannot start until it is there." ;; esac
}

engine_started_here=0
need_node
case "$(uname -s)" in
  # An if, not `a && b || c`: errexit is off inside a function called from such a list, so a failed
  # apt-get would be ignored there.
  Linux)
    if command -v apt-get >/dev/null 2>&1; then install_debian
    else echo "setup: not Debian-like; install ffmpeg, nginx with the rtmp module, socat, redis, prometheus (promtool), PostgreSQL and Docker yourself" >&2
    fi ;;
  Darwin) install_macos ;;
esac

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
# With an engine at hand, build the nginx-rtmp image now so the first `POST /api/stream/rtmp/start` finds it.
if docker info >/dev/null 2>&1; then
  npm run --silent rtmp:image || echo "setup: could not build the RTMP image; run \`npm run rtmp:image\` later" >&2
fi
summary
