# Shared by scripts/*-image.sh: their arguments (--tag, --offline, --build, --help), and `docker build` with the
# script's own offline way as the fallback. Sourced; sets `tag` (given a default by the caller) and `mode`.

# image_args NAME HELP_LAST_LINE "$@": --help prints the script's header, lines 2 to HELP_LAST_LINE.
image_args() {
  local name="$1" help_last="$2"
  shift 2
  mode="auto"
  while [ $# -gt 0 ]; do
    case "$1" in
      --tag) tag="$2"; shift 2 ;;
      --offline) mode="offline"; shift ;;
      --build) mode="build"; shift ;;
      -h|--help) sed -n "2,${help_last}p" "$0"; exit 0 ;;
      *) echo "$name: unknown argument $1" >&2; exit 2 ;;
    esac
  done
}

# image_build NAME WHAT DOCKER_BUILD_ARGS...
image_build() {
  local name="$1" what="$2" output
  shift 2
  # `|| return`: set -e does not apply inside a function called from an `if`. Docker's words are shown
  # only when there is no fallback (--build); otherwise the fallback says what happened.
  output="$(docker build --quiet -t "$tag" "$@" 2>&1)" || { [ "$mode" = build ] && echo "$output" >&2; return 1; }
  echo "$name: built $tag from $what"
}

# image_main NAME FALLBACK_FUNCTION FALLBACK_WORDS WHAT DOCKER_BUILD_ARGS...: runs what `mode` says.
image_main() {
  local name="$1" fallback="$2" why="$3" what="$4"
  shift 4
  case "$mode" in
    offline) "$fallback" ;;
    build) image_build "$name" "$what" "$@" ;;
    auto)
      if ! image_build "$name" "$what" "$@"; then
        echo "$name: docker build failed (no registry reachable?); $why" >&2
        "$fallback"
      fi
      ;;
  esac
}
