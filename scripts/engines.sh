#!/usr/bin/env bash
# Start (or stop) the container engines the live tests use, offline:
#   - dockerd (Debian docker.io) with its own containerd, no iptables, no bridge;
#   - a standalone containerd for `ctr` tests, on its own socket and state dirs.
# Idempotent: an engine that already answers is left alone. See docs/testing.md.
# With NSVIEW_ENGINES_STARTED=FILE, `start` writes there the engines it launched itself and
# `stop` stops only those: a run never stops an engine somebody else started.
set -euo pipefail

STATE=${NSVIEW_ENGINE_STATE:-/run/nsview-test}
CTRD_SOCK=$STATE/containerd/containerd.sock

started() {
  [ -z "${NSVIEW_ENGINES_STARTED:-}" ] || echo "$1" >>"$NSVIEW_ENGINES_STARTED"
}

# dockerd refuses to start while its pid file exists; one left by a daemon that is gone
# (killed, or a machine reset) would fail every later run.
clear_stale_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$file"
  fi
}

start() {
  mkdir -p "$STATE/containerd"
  if ! docker info >/dev/null 2>&1; then
    clear_stale_pidfile /var/run/docker.pid
    setsid dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
      >"$STATE/dockerd.log" 2>&1 </dev/null &
    echo $! >"$STATE/dockerd.pid"
    started dockerd
  fi
  if ! ctr --address "$CTRD_SOCK" version >/dev/null 2>&1; then
    setsid containerd --root "$STATE/containerd/root" --state "$STATE/containerd/state" \
      --address "$CTRD_SOCK" >"$STATE/containerd.log" 2>&1 </dev/null &
    echo $! >"$STATE/containerd.pid"
    started containerd
  fi
  for _ in $(seq 1 120); do
    if docker info >/dev/null 2>&1 && ctr --address "$CTRD_SOCK" version >/dev/null 2>&1; then
      echo "engines up (docker; containerd at $CTRD_SOCK)"
      return 0
    fi
    sleep 0.5
  done
  echo "engines did not start; logs:" >&2
  tail -n 20 "$STATE/dockerd.log" "$STATE/containerd.log" >&2 || true
  return 1
}

stop() {
  for name in dockerd containerd; do
    if [ -n "${NSVIEW_ENGINES_STARTED:-}" ] && ! grep -qx "$name" "$NSVIEW_ENGINES_STARTED" 2>/dev/null; then
      continue
    fi
    if [ -f "$STATE/$name.pid" ]; then
      pid=$(cat "$STATE/$name.pid")
      kill "$pid" 2>/dev/null || true
      # Wait for it to go: a daemon still shutting down holds its pid file and socket, and a
      # `start` right after (the next run) would find them and fail.
      for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      rm -f "$STATE/$name.pid"
    fi
  done
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
