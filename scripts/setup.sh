#!/usr/bin/env bash
# Installs what Wave and its tests need on a fresh machine, then builds Wave.
#   Debian/Ubuntu (root or sudo): ffmpeg, nginx + rtmp module, Docker engine, socat, openssl, redis-server via apt.
#   macOS: ffmpeg, socat, redis via Homebrew; Docker Desktop provides the engine (start it first).
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "setup: Node.js ^20.19, ^22.12 or >= 24 is required (https://nodejs.org or your package manager)" >&2
    exit 1
  fi
  # Same range as "engines" in package.json (semver is not installed yet).
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a===20&&b>=19)||(a===22&&b>=12)||a>=24?0:1)' || {
    echo "setup: Node.js ^20.19, ^22.12 or >= 24 is required, found $(node --version)" >&2
    exit 1
  }
}

install_debian() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local packages=(ffmpeg nginx libnginx-mod-rtmp socat openssl redis-server docker.io iproute2 procps)
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # A machine with Docker from docker.com (docker-ce) needs no docker.io.
  if command -v dockerd >/dev/null 2>&1; then
    local filtered=()
    for p in "${missing[@]}"; do [ "$p" = docker.io ] || filtered+=("$p"); done
    missing=("${filtered[@]+"${filtered[@]}"}")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts nginx and redis as system services on install; Wave and its tests run their own.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now nginx redis-server >/dev/null 2>&1 || true
    # The RTMP ingest runs on the system's Docker engine.
    $sudo systemctl enable --now docker >/dev/null 2>&1 || true
  fi
}

install_macos() {
  command -v brew >/dev/null 2>&1 || { echo "setup: Homebrew is required on macOS (https://brew.sh)" >&2; exit 1; }
  for p in ffmpeg socat redis; do brew list "$p" >/dev/null 2>&1 || brew install "$p"; done
  command -v docker >/dev/null 2>&1 || echo "setup: install and start Docker Desktop for the RTMP ingest" >&2
}

need_node
case "$(uname -s)" in
  # An if, not `a && b || c`: errexit is off inside a function called from such a list, so a failed
  # apt-get would be ignored there.
  Linux)
    if command -v apt-get >/dev/null 2>&1; then install_debian
    else echo "setup: not Debian-like; install ffmpeg, nginx with the rtmp module, socat, redis and Docker yourself" >&2
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
echo "setup: done"
