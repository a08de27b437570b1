#!/bin/sh
# Runs as root inside the pure cgroup v2 guest (see docs/testing.md, "The v2 suite in a VM").
# Usage: guest.sh REPO PYTHON IMAGE_TAR. Makes real v2 cgroups, an `unshare` group and a Docker
# container in them, writes what it set (written.txt: "name value" lines), the kernel's files
# (raw/), docker inspect and nsview's --json outputs under $V2VM_OUT; tests/test_v2vm.py checks
# them on the host. Each step logs its wall time; everything it starts it stops.
set -u
REPO=$1 PY=$2 TAR=$3
OUT=${V2VM_OUT:?}
CG=/sys/fs/cgroup
export PYTHONPATH=$REPO
T0=$(date +%s)
log() { echo "guest +$(( $(date +%s) - T0 ))s: $*"; }
put() { echo "$1 $2" >> "$OUT/written.txt"; }
nsv() { # nsv NAME ARGS...: nsview's stdout to NAME, its stderr and exit code beside it
  name=$1; shift
  "$PY" -m nsview "$@" > "$OUT/$name" 2> "$OUT/$name.err"; echo $? > "$OUT/$name.rc"
  log "nsview $* -> $(cat "$OUT/$name.rc")"
}
w() { printf '%s\n' "$2" > "$1" || log "FAILED: $2 > $1"; }  # w FILE VALUE
raw() { mkdir -p "$OUT/raw$1"; for f in $2; do cat "$CG$1/$f" > "$OUT/raw$1/$f" 2>/dev/null; done; }
pids=""
cleanup() {
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  [ -n "${CID:-}" ] && docker rm -f "$CID" >/dev/null 2>&1
  [ -n "${DOCKERD:-}" ] && kill "$DOCKERD" 2>/dev/null
  sleep 1
  for d in nsv-limits nsv-parent/child nsv-parent nsv-nodeleg/child nsv-nodeleg; do rmdir "$CG/$d" 2>/dev/null; done
}
trap cleanup EXIT
cd "$REPO" || exit 2
stat -fc %T $CG > "$OUT/fstype"
uname -r > "$OUT/kernel"

# ---- cgroups: one with every limit, nested ones where the parent binds, one not delegated ----
w $CG/cgroup.subtree_control "+memory +cpu +cpuset +pids +io"
mkdir -p $CG/nsv-limits $CG/nsv-parent/child $CG/nsv-nodeleg/child
L=$CG/nsv-limits
w $L/memory.max 209715200;     put limits.memory.max 209715200
w $L/memory.high 157286400;    put limits.memory.high 157286400
w $L/memory.low 33554432;      put limits.memory.low 33554432
w $L/memory.min 16777216;      put limits.memory.min 16777216
w $L/memory.swap.max 67108864; put limits.memory.swap.max 67108864
w $L/cpu.max "20000 100000";   put limits.cpu.max.quota 20000; put limits.cpu.max.period 100000
w $L/cpu.weight 50;            put limits.cpu.weight 50
w $L/cpuset.cpus 1;            put limits.cpuset.cpus 1
w $L/cpuset.mems 0
w $L/pids.max 42;              put limits.pids.max 42
# io.max on a RAM disk (brd), else a loop device on tmpfs
if modprobe brd rd_nr=1 rd_size=8192 2>/dev/null && [ -b /dev/ram0 ]; then DEV=/dev/ram0
else truncate -s 8M /tmp/nsv-disk && DEV=$(losetup -f --show /tmp/nsv-disk); fi
MM=$(printf '%d:%d' "0x$(stat -c %t "$DEV")" "0x$(stat -c %T "$DEV")")
w $L/io.max "$MM rbps=1048576 wiops=120"; put limits.io.device "$MM"; put limits.io.rbps 1048576; put limits.io.wiops 120
P=$CG/nsv-parent
w $P/memory.max 104857600; put parent.memory.max 104857600
w $P/pids.max 20;          put parent.pids.max 20
w $P/cgroup.subtree_control "+memory +pids +cpu"
w $P/child/memory.max max
w $CG/nsv-nodeleg/memory.max 83886080; put nodeleg.memory.max 83886080
w $CG/nsv-nodeleg/cgroup.subtree_control "+pids"

# ---- processes: an unshare group in nsv-limits (and a CPU burner to be throttled), sleepers ----
sh -c "echo \$\$ > $L/cgroup.procs; exec unshare --pid --fork --uts --net --mount sleep 600" &
UNSHARE=$!; pids="$pids $UNSHARE"
sh -c "echo \$\$ > $L/cgroup.procs; while :; do :; done" & BURN=$!; pids="$pids $BURN"
sh -c "echo \$\$ > $P/child/cgroup.procs; exec sleep 600" & NESTED=$!; pids="$pids $NESTED"
sh -c "echo \$\$ > $CG/nsv-nodeleg/child/cgroup.procs; exec sleep 600" & NODELEG=$!; pids="$pids $NODELEG"
sleep 2
kill -9 $BURN
KID=""; for i in 1 2 3 4 5 6 7 8 9 10; do KID=$(cat /proc/$UNSHARE/task/$UNSHARE/children 2>/dev/null | tr -d ' '); [ -n "$KID" ] && break; sleep 0.5; done
pids="$pids $KID"
put unshare.pid $UNSHARE; put unshare.child $KID; put nested.pid $NESTED; put nodeleg.pid $NODELEG
grep NSpid /proc/$KID/status > "$OUT/unshare-child-nspid"
for p in $UNSHARE $KID; do readlink /proc/$p/ns/pid; done > "$OUT/unshare-pidns"
readlink /proc/1/ns/pid > "$OUT/host-pidns"
raw /nsv-limits "memory.max memory.high memory.low memory.min memory.swap.max memory.events memory.stat cpu.max cpu.weight cpu.stat cpuset.cpus pids.max io.max cgroup.controllers"
cp $L/cpu.pressure "$OUT/raw/nsv-limits/cpu.pressure.before"
log "cgroups and processes ready"
nsv cgroup-limits.json cgroup --json "$KID"
cp $L/cpu.pressure "$OUT/raw/nsv-limits/cpu.pressure.after"
nsv cgroup-nested.json cgroup --json "$NESTED"
raw /nsv-nodeleg "cgroup.subtree_control cgroup.controllers memory.max"
raw /nsv-nodeleg/child "cgroup.controllers"
nsv cgroup-nodeleg.json cgroup --json "$NODELEG"
nsv cgroup-nodeleg.txt cgroup --no-color "$NODELEG"
nsv ps.json ps --json --runtime namespaces

# ---- Docker: dockerd on tmpfs, the test image loaded from the host's /tmp -------------------
mkdir -p /tmp/docker-data
dockerd --iptables=false --ip6tables=false --bridge=none --data-root /tmp/docker-data \
  --exec-root /tmp/docker-exec -H unix:///run/docker.sock > /tmp/dockerd.log 2>&1 &
DOCKERD=$!
for i in $(seq 1 120); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
log "dockerd ready"
docker load -i "$TAR" > /dev/null || { log "docker load failed"; exit 3; }
CID=$(docker run -d -m 100663296 --memory-reservation 50331648 --cpus 0.5 --pids-limit 33 \
  nsview-test/busybox:1 sh -c '(while :; do :; done) & b=$!; sleep 3; kill $b; exec sleep 600')
put docker.memory 100663296; put docker.reservation 50331648; put docker.cpus 0.5; put docker.pids 33
sleep 4  # its busy loop ran 3 s against the 0.5 CPU quota: throttled, and cpu pressure to show
log "container $CID"
docker inspect "$CID" > "$OUT/inspect.json"
DPID=$(docker inspect -f '{{.State.Pid}}' "$CID")
readlink /proc/$DPID/ns/cgroup > "$OUT/docker-cgroupns"
readlink /proc/1/ns/cgroup > "$OUT/host-cgroupns"
DCG=$(sed -n 's/^0:://p' /proc/$DPID/cgroup); echo "$DCG" > "$OUT/docker-cgroup"
nsv cgroup-docker.json cgroup --json "$CID"
nsv cgroup-docker.txt cgroup --no-color "$CID"
D=$CG$DCG
# the second source for the v2 device rules: bpftool's list of the programs in effect
bpftool -j cgroup show "$D" effective > "$OUT/bpftool-docker.json" 2> "$OUT/bpftool-docker.err"
bpftool -j cgroup show "$L" effective > "$OUT/bpftool-limits.json" 2> "$OUT/bpftool-limits.err"
mkdir -p "$OUT/raw/docker"
for f in memory.max memory.low memory.high cpu.max cpu.stat pids.max memory.events; do cat "$D/$f" > "$OUT/raw/docker/$f" 2>/dev/null; done
nsv diff-docker.json diff --json "$CID"
nsv diff-docker.txt diff --no-color --mounts all "$CID"
log "done"
