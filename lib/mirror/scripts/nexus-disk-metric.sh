#!/bin/bash
# Publishes how full the Nexus data volume is (percent used) to CloudWatch, for
# the mirror's disk alarm and dashboard. Run every 5 minutes by a systemd timer.
#
# Overridable: NEXUS_DATA, IMDS_URL. Needs curl, df and the AWS CLI.
set -euo pipefail

mount_point=${NEXUS_DATA:-/nexus-data}
imds=${IMDS_URL:-http://169.254.169.254}
namespace=${1:?usage: nexus-disk-metric NAMESPACE MIRROR_NAME}
mirror=${2:?usage: nexus-disk-metric NAMESPACE MIRROR_NAME}

if ! mountpoint -q "$mount_point"; then
  echo "nexus-disk-metric: $mount_point is not mounted, nothing published" >&2
  exit 0
fi
used=$(df --output=pcent "$mount_point" | awk 'NR == 2 { gsub(/[ %]/, ""); print }')
token=$(curl -fsS --max-time 2 -X PUT "$imds/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
region=$(curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/placement/region")
aws cloudwatch put-metric-data --region "$region" --namespace "$namespace" \
  --metric-name DataVolumeUsedPercent --unit Percent --value "$used" --dimensions "Mirror=$mirror"
