#!/usr/bin/env bash
# boot-systemd.sh - run SCRIPT as a oneshot unit inside a real systemd: PID 1 of a systemd-nspawn
# container that boots this machine's own root through a throwaway overlay (nothing is written to
# the host; nothing to download). SCRIPT's exit status becomes this command's. Needs root and
# systemd-container. Used by `make systemd-test` (docs/packaging.md).
#
#   boot-systemd.sh [--bind-ro HOST:GUEST]... [--timeout SECONDS] SCRIPT
set -euo pipefail
binds=(); timeout=300
while [ $# -gt 0 ]; do
  case $1 in
    --bind-ro) binds+=("--bind-ro=$2"); shift 2;;
    --timeout) timeout=$2; shift 2;;
    *) break;;
  esac
done
[ $# -eq 1 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "boot-systemd.sh: needs root (systemd-nspawn)" >&2; exit 1; }
command -v systemd-nspawn >/dev/null || { echo "boot-systemd.sh: systemd-nspawn is missing (apt-get install systemd-container)" >&2; exit 1; }
script=$(readlink -f "$1")
scratch=$(mktemp -d /tmp/pacad-boot.XXXXXX)
mkdir -p "$scratch/unit"
cat > "$scratch/unit/pacad-systemd-test.service" <<UNIT
[Unit]
Description=pacad's test inside a booted systemd
After=multi-user.target
[Service]
Type=oneshot
StandardOutput=journal+console
StandardError=journal+console
ExecStart=/bin/bash -c '/opt/pacad-test/run; systemctl exit \$?'
UNIT
# nspawn nests its cgroups under the caller's; give this run a cgroup of its own (cgroup v1 hosts).
group=pacad-boot-$$
for hierarchy in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
  [ -d "$hierarchy" ] && mkdir -p "$hierarchy/$group" && echo $$ > "$hierarchy/$group/cgroup.procs" || true
done
cleanup() {
  for hierarchy in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
    [ -d "$hierarchy/$group" ] || continue
    echo $$ > "$hierarchy/cgroup.procs"; find "$hierarchy/$group" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  rm -rf "$scratch" "/run/systemd/nspawn/propagate/pacad-boot-$$" 2>/dev/null || true
}
trap cleanup EXIT
# Services the host may enable that have no place in the test.
mask="systemd.mask=postgresql.service systemd.mask=redis-server.service systemd.mask=nginx.service"
fs=$scratch/fs
mkdir -p "$fs"
set +e
unshare --mount --propagation private bash -ec "
  mount -t tmpfs -o size=2G,mode=755 pacad-boot $fs
  mkdir -p $fs/upper $fs/work $fs/root
  mount -t overlay pacad-boot-root -o lowerdir=/,upperdir=$fs/upper,workdir=$fs/work $fs/root
  timeout $timeout systemd-nspawn -D $fs/root --boot --register=no --keep-unit --private-network \
    --machine=pacad-boot-$$ --console=read-only --quiet \
    --bind-ro=$script:/opt/pacad-test/run \
    --bind-ro=$scratch/unit/pacad-systemd-test.service:/etc/systemd/system/pacad-systemd-test.service \
    ${binds[*]:-} -- systemd.wants=pacad-systemd-test.service $mask
" </dev/null
status=$?
set -e
[ $status -eq 124 ] && echo "boot-systemd.sh: the container did not finish in ${timeout}s" >&2
exit $status
