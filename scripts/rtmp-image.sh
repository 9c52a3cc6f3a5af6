#!/usr/bin/env bash
# Builds Wave's nginx-rtmp image (docker/rtmp/).
#
#   scripts/rtmp-image.sh [--tag wave/rtmp:latest] [--offline | --build]
#
# Default: `docker build docker/rtmp`; if that fails (no registry reachable), the image is
# assembled from the host's Debian nginx + libnginx-mod-rtmp packages instead: the nginx binary,
# the rtmp module and the libraries ldd lists for them are copied into an empty root file system
# that `docker import` loads (≈10 MB, no registry needed). --offline goes straight to assembly
# (the test environment does); --build never falls back. Uses the engine DOCKER_HOST points at.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
context="$here/docker/rtmp"
tag="wave/rtmp:latest"
# shellcheck source=lib/image.sh
. "$here/scripts/lib/image.sh"
image_args rtmp-image 11 "$@"

nginx_bin=/usr/sbin/nginx
rtmp_module=/usr/lib/nginx/modules/ngx_rtmp_module.so

assemble() {
  for part in "$nginx_bin" "$rtmp_module"; do
    if [ ! -e "$part" ]; then
      echo "rtmp-image: $part is missing; install Debian's packages: apt-get install -y nginx libnginx-mod-rtmp" >&2
      exit 1
    fi
  done
  # Global, not local: the EXIT trap runs after this function has returned.
  root="$(mktemp -d "${TMPDIR:-/tmp}/wave-rtmp-root.XXXXXX")"
  trap 'rm -rf "$root"' EXIT

  cp -L --parents "$nginx_bin" "$rtmp_module" "$root/"
  # The dynamic loader and libraries are symlinks on Debian; -L copies what they point at.
  ldd "$nginx_bin" "$rtmp_module" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | sort -u |
    while read -r lib; do cp -L --parents "$lib" "$root/"; done

  mkdir -p "$root/etc/nginx" "$root/tmp" "$root/var/log/nginx" "$root/var/lib/nginx" "$root/run"
  chmod 1777 "$root/tmp"
  cp "$context/nginx.conf" "$root/etc/nginx/nginx.conf"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

  tar -C "$root" -c . | docker import \
    -c 'CMD ["/usr/sbin/nginx", "-g", "daemon off;"]' \
    -c 'EXPOSE 1935 8080' \
    -m "wave nginx-rtmp, assembled from the host's Debian packages" \
    - "$tag" >/dev/null
  echo "rtmp-image: assembled $tag from the host's nginx + libnginx-mod-rtmp"
}

image_main rtmp-image assemble "assembling from the host's packages" "$context/Dockerfile" "$context"
