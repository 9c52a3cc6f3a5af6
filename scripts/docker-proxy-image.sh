#!/usr/bin/env bash
# Builds Wave's Docker socket proxy image (docker/docker-proxy/): nginx passing on only the Engine API
# calls Wave makes.
#
#   scripts/docker-proxy-image.sh [--tag wave/docker-proxy:latest] [--offline | --build]
#
# Default: `docker build docker/docker-proxy`; if that fails (no registry reachable), the image is
# assembled from the host's Debian nginx package instead, as scripts/rtmp-image.sh does for the ingest:
# the nginx binary and the libraries ldd lists for it are copied into an empty root file system that
# `docker import` loads (a few MB). --offline goes straight to assembly (the tests do); --build never
# falls back. Uses the engine DOCKER_HOST points at.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
context="$here/docker/docker-proxy"
tag="wave/docker-proxy:latest"
# shellcheck source=lib/image.sh
. "$here/scripts/lib/image.sh"
image_args docker-proxy-image 12 "$@"

nginx_bin=/usr/sbin/nginx

assemble() {
  if [ ! -x "$nginx_bin" ]; then
    echo "docker-proxy-image: $nginx_bin is missing; install Debian's package: apt-get install -y nginx" >&2
    exit 1
  fi
  # Global, not local: the EXIT trap runs after this function has returned.
  root="$(mktemp -d "${TMPDIR:-/tmp}/wave-docker-proxy-root.XXXXXX")"
  trap 'rm -rf "$root"' EXIT

  cp -L --parents "$nginx_bin" "$root/"
  # The dynamic loader and libraries are symlinks on Debian; -L copies what they point at.
  ldd "$nginx_bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | sort -u |
    while read -r lib; do cp -L --parents "$lib" "$root/"; done

  mkdir -p "$root/etc/nginx" "$root/tmp" "$root/var/log/nginx" "$root/var/lib/nginx" "$root/run/docker-proxy"
  chmod 1777 "$root/tmp"
  ln -s /dev/stderr "$root/var/log/nginx/error.log"
  cp "$context/nginx.conf" "$root/etc/nginx/nginx.conf"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

  tar -C "$root" -c . | docker import \
    -c 'CMD ["/usr/sbin/nginx", "-g", "daemon off;"]' \
    -c 'EXPOSE 2375' \
    -m "wave docker socket proxy, assembled from the host's Debian nginx" \
    - "$tag" >/dev/null
  echo "docker-proxy-image: assembled $tag from the host's nginx"
}

image_main docker-proxy-image assemble "assembling from the host's nginx" "$context/Dockerfile" "$context"
