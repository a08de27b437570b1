#!/usr/bin/env bash
# Build the nsview container image from local parts only (docs/fleet.md, "The image"):
#   1. a Debian bookworm root with python3 (mmdebstrap, from Debian's packages), `docker import`ed
#      as the base; the root's tar is kept in the cache directory under the hash of the command
#      that makes it, so a second build skips it;
#   2. wheels of this checkout and of its dependencies (pip wheel);
#   3. `docker build -f Containerfile` over both, installing the wheels with --no-index.
# Prints the image id on the last line. The base is untagged, so removing the image (by id, as
# the tests do) removes the base with it.
#
#   bash scripts/build_image.sh [TAG]        # e.g. nsview:local
# Environment: NSVIEW_IMAGE_CACHE (default /var/cache/nsview-image), PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-}
cache=${NSVIEW_IMAGE_CACHE:-/var/cache/nsview-image}
python=${PYTHON:-python3}
suite=bookworm
mm_args=(--variant=apt --include=python3-minimal,python3-venv "$suite")
mkdir -p "$cache"
key=$(printf '%s\n' "mmdebstrap" "${mm_args[@]}" | sha256sum | cut -c1-16)
rootfs="$cache/rootfs-$key.tar"
if [ ! -f "$rootfs" ] || [ ! -s "$rootfs" ]; then
  rm -rf "$rootfs" "$rootfs.part"
  command -v mmdebstrap >/dev/null || { echo "build_image.sh: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
  mmdebstrap --quiet --format=tar "${mm_args[@]}" "$rootfs.part" >&2
  mv "$rootfs.part" "$rootfs"
fi
work=$(mktemp -d)
base=""
image=""
cleanup() {
  # The base is untagged: removing the image later removes it too. Only a failed build leaves it.
  if [ -n "$base" ] && [ -z "$image" ]; then docker rmi "$base" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
base=$(docker import "$rootfs")
mkdir "$work/wheels"
"$python" -m pip wheel --quiet --wheel-dir "$work/wheels" . >&2
cp Containerfile "$work/Containerfile"
args=(--quiet --build-arg "BASE=$base" -f "$work/Containerfile")
[ -z "$tag" ] || args+=(-t "$tag")
image=$(docker build "${args[@]}" "$work")
echo "$image"
