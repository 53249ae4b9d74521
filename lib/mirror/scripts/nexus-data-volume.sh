#!/bin/bash
# Mounts the Nexus data volume at /nexus-data. The volume outlives the
# instance, so this never formats a volume that holds anything:
#   1. wait for the attached device (/dev/sdf; /dev/xvdf on Xen types)
#   2. format it as XFS only when blkid finds no filesystem and no partition table
#   3. mount it by UUID (fstab entry with nofail) and hand it to uid 200 (nexus)
#
# Overridable: NEXUS_DATA_DEVICE, NEXUS_DATA, NEXUS_DEVICE_WAIT_SECONDS.
set -euo pipefail

device=${NEXUS_DATA_DEVICE:-/dev/sdf}
mount_point=${NEXUS_DATA:-/nexus-data}
wait_seconds=${NEXUS_DEVICE_WAIT_SECONDS:-600}
nexus_uid=200

log() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T nexus-data-volume: %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The volume is attached after the instance starts: wait for it.
xen_device="/dev/xvd${device#/dev/sd}"
deadline=$((SECONDS + wait_seconds))
until [ -b "$device" ] || [ -b "$xen_device" ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "no data volume at $device or $xen_device after ${wait_seconds}s"
  sleep 5
done
if [ -b "$device" ]; then real=$(readlink -f "$device"); else real=$(readlink -f "$xen_device"); fi
log "data volume is $real"

probe_status=0
probe=$(blkid -p -o export "$real") || probe_status=$?
case $probe_status in
  0)
    grep -q '^TYPE=' <<< "$probe" || die "$real holds a partition table but no filesystem; refusing to format it"
    log "$real already holds a filesystem, keeping it"
    ;;
  2)
    log "$real is empty, formatting it as XFS"
    mkfs.xfs -L nexus-data "$real"
    ;;
  *) die "blkid failed on $real (exit $probe_status)" ;;
esac

uuid=$(blkid -p -s UUID -o value "$real")
fstype=$(blkid -p -s TYPE -o value "$real")
[ -n "$uuid" ] || die "$real has no filesystem UUID"
if ! grep -q "^UUID=$uuid " /etc/fstab; then
  printf 'UUID=%s %s %s defaults,nofail,noatime 0 2\n' "$uuid" "$mount_point" "$fstype" >> /etc/fstab
  systemctl daemon-reload
  log "added UUID=$uuid to /etc/fstab"
fi
mkdir -p "$mount_point"
mountpoint -q "$mount_point" || mount "$mount_point"
if [ "$(stat -c %u "$mount_point")" != "$nexus_uid" ]; then
  chown "$nexus_uid:$nexus_uid" "$mount_point"
fi
log "$mount_point is mounted and owned by uid $nexus_uid"
