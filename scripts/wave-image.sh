#!/usr/bin/env bash
# Builds Wave's production image (docker/wave/Dockerfile).
#
#   scripts/wave-image.sh [--tag wave/wave:latest] [--offline | --build]
#
# Default: `docker build -f docker/wave/Dockerfile .`; if that fails (no registry reachable), the same
# Dockerfile is built offline instead: a base image is assembled from this host's files (its node, ffmpeg,
# ffprobe, a shell, mkdir/chown, every library ldd lists for them, /etc/passwd with the `node` user) and
# loaded with `docker import`; the app is built and pruned on the host (`npm run build`, a copy of
# node_modules with `npm prune --omit=dev`); the Dockerfile's FROM lines are pointed at that base with
# --build-arg and PREBUILT=true skips its apt-get and npm steps. USER, HEALTHCHECK and CMD are the
# Dockerfile's own either way. --offline goes straight to that (the tests do); --build never falls back.
# The base is tagged by a hash of what went into it and reused. Uses the engine DOCKER_HOST points at.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dockerfile="$here/docker/wave/Dockerfile"
tag="wave/wave:latest"
# shellcheck source=lib/image.sh
. "$here/scripts/lib/image.sh"
image_args wave-image 14 "$@"

# Global, not local: the EXIT trap runs after the functions have returned.
work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT

# What the base holds, at the paths the official node image and Debian use.
base_programs=(/usr/bin/ffmpeg /usr/bin/ffprobe /usr/bin/dash /usr/bin/mkdir /usr/bin/chown)

assemble_base() {
  local node_bin p
  node_bin="$(command -v node)"
  for p in "$node_bin" "${base_programs[@]}"; do
    [ -x "$p" ] || { echo "wave-image: $p is missing; install Debian's packages: apt-get install -y ffmpeg coreutils dash" >&2; exit 1; }
  done
  # The tag names what went in: this function, the node binary, ffmpeg's and libc's packages; a change to
  # any of them makes a new base (the rest of the script does not).
  local hash
  hash="$({ declare -f assemble_base; sha256sum "$node_bin"; dpkg-query -W -f='${Version}\n' ffmpeg libc6 2>/dev/null || true; } | sha256sum | cut -c1-12)"
  base="wave/wave-base:host-$hash"
  if docker image inspect "$base" >/dev/null 2>&1; then return 0; fi

  local root="$work/base"
  mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/sbin" "$root/usr/local/bin"
  # Debian 12's merged /usr: /bin, /lib and /lib64 are links, so libraries ldd names under /lib land in /usr/lib.
  ln -s usr/bin "$root/bin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"; ln -s usr/sbin "$root/sbin"
  cp -L "$node_bin" "$root/usr/local/bin/node"
  for p in "${base_programs[@]}"; do cp -L "$p" "$root$p"; done
  ln -s dash "$root/usr/bin/sh"
  # The dynamic loader and libraries are symlinks on Debian; -L copies what they point at.
  ldd "$node_bin" "${base_programs[@]}" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | sort -u |
    while read -r lib; do cp -L --parents "$lib" "$root/"; done
  # ld.so.cache finds libraries outside the default directories (e.g. BLAS under alternatives' subfolders).
  mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/home/node" "$root/root"
  cp /etc/ld.so.cache "$root/etc/"
  [ ! -f /etc/ssl/certs/ca-certificates.crt ] || cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  chmod 1777 "$root/tmp"
  # The users of the official node image that matter here: root and node (1000), so `USER node` and
  # `chown node:node` mean the same in both paths.
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  chown 1000:1000 "$root/home/node"

  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/usr/sbin' \
    -c 'CMD ["node"]' \
    -m "Wave's offline base: the host's node, ffmpeg and their libraries" \
    - "$base" >/dev/null
  echo "wave-image: assembled $base from the host's node ($("$node_bin" --version)) and ffmpeg"
  # Earlier bases are stale: untag them (layers an image still uses stay; an image in use is left alone).
  docker images --format '{{.Repository}}:{{.Tag}}' wave/wave-base | grep -vxF "$base" | xargs -r docker rmi >/dev/null 2>&1 || true
}

# The app as the Dockerfile's build stage leaves it, laid out like the repository: built and pruned here.
stage_app() {
  local ctx="$work/context"
  mkdir -p "$ctx/docker/rtmp" "$ctx/docker/wave"
  cp "$here/package.json" "$here/package-lock.json" "$here/ecosystem.config.js" "$ctx/"
  cp -a "$here/dist" "$ctx/dist"
  cp "$here/docker/rtmp/nginx.conf.template" "$ctx/docker/rtmp/"
  cp "$here/docker/wave/ecosystem.docker.config.js" "$ctx/docker/wave/"
  [ -d "$here/node_modules" ] || { echo "wave-image: $here/node_modules is missing; run npm ci first" >&2; exit 1; }
  # Hard links where the temp dir shares the repository's file system (seconds instead of a 15 s copy):
  # npm prune only unlinks; the one file it rewrites, node_modules/.package-lock.json, is made a copy first.
  if cp -al "$here/node_modules" "$ctx/node_modules" 2>/dev/null; then
    rm -f "$ctx/node_modules/.package-lock.json"
    [ ! -f "$here/node_modules/.package-lock.json" ] || cp "$here/node_modules/.package-lock.json" "$ctx/node_modules/"
  else
    rm -rf "$ctx/node_modules"
    cp -a "$here/node_modules" "$ctx/node_modules"
  fi
  # Offline: npm prune only removes what package-lock.json marks as dev.
  (cd "$ctx" && npm prune --omit=dev --no-audit --no-fund --offline >/dev/null)
  # Compiled caches and test leftovers of the host have no place in the image.
  rm -rf "$ctx/node_modules/.cache" "$ctx/dist/tsconfig.build.tsbuildinfo"
  context="$ctx"
}

# A hash of everything the offline image is made of (the base, the recipe, the built app and the lock file).
offline_recipe() {
  (cd "$here" && {
    echo "$base"
    sha256sum "$0" "$dockerfile" package.json package-lock.json ecosystem.config.js docker/wave/ecosystem.docker.config.js docker/rtmp/nginx.conf.template
    find dist -type f ! -name '*.tsbuildinfo' -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16)
}

offline() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/wave-image.XXXXXX")"
  assemble_base
  (cd "$here" && npm run --silent build)
  # The same recipe as the image already under this tag: nothing to do (the tests rebuild only on a change).
  local recipe
  recipe="$(offline_recipe)"
  if [ "$(docker image inspect -f '{{ index .Config.Labels "wave.image.recipe" }}' "$tag" 2>/dev/null)" = "$recipe" ]; then
    echo "wave-image: $tag is up to date (recipe $recipe)"
    return 0
  fi
  stage_app
  docker build --quiet -f "$dockerfile" -t "$tag" \
    --build-arg BUILD_IMAGE="$base" --build-arg RUNTIME_IMAGE="$base" --build-arg PREBUILT=true \
    --label "wave.image.base=$base" --label "wave.image.recipe=$recipe" "$context" >/dev/null
  echo "wave-image: built $tag from docker/wave/Dockerfile on $base (app built on this host)"
}

image_main wave-image offline "building offline on a base assembled from this host" "docker/wave/Dockerfile" -f "$dockerfile" "$here"
