#!/usr/bin/env bash
# autoscaler-manager: the on-host part of a docker-autoscaler manager
# (lib/runner/autoscaler/), next to runner-fleet (token, drain).
#
#   autoscaler-manager fetch-ssh-key   Write the workers' SSH private key, read from
#                                      its SSM SecureString parameter, to SSH_KEY_PATH
#                                      (mode 0600, atomically). Runs as ExecStartPre of
#                                      gitlab-runner.service when the connector uses a
#                                      static key; the key never passes through user
#                                      data or Terraform.
#
# Settings come from the environment file that cloud-init writes
# (RUNNER_FLEET_ENV). Tests replace aws and curl on PATH and point IMDS_URL at
# a fake.
set -euo pipefail

RUNNER_FLEET_ENV=${RUNNER_FLEET_ENV:-/etc/runner-fleet/fleet.env}
if [[ -r $RUNNER_FLEET_ENV ]]; then
  # shellcheck source=/dev/null
  . "$RUNNER_FLEET_ENV"
fi

IMDS_URL=${IMDS_URL:-http://169.254.169.254}
KEY_FETCH_ATTEMPTS=${KEY_FETCH_ATTEMPTS:-30}
KEY_FETCH_DELAY=${KEY_FETCH_DELAY:-10}
AWS_CALL_TIMEOUT=${AWS_CALL_TIMEOUT:-20}

log() {
  printf '%s autoscaler-manager: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

imds() {
  local token
  token=$(curl -fsS --max-time 2 -X PUT "$IMDS_URL/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/$1"
}

fetch_ssh_key() {
  : "${SSH_KEY_PARAMETER:?}" "${SSH_KEY_PATH:?}"
  local region attempt key="" tmp
  region=$(imds placement/region)
  for ((attempt = 1; attempt <= KEY_FETCH_ATTEMPTS; attempt++)); do
    # Each read bounded, so the attempts fit the unit's start timeout (TimeoutStartSec).
    if key=$(timeout "$AWS_CALL_TIMEOUT" aws ssm get-parameter --region "$region" --name "$SSH_KEY_PARAMETER" --with-decryption \
      --query Parameter.Value --output text); then
      break
    fi
    key=""
    log "reading $SSH_KEY_PARAMETER failed (attempt $attempt of $KEY_FETCH_ATTEMPTS)"
    sleep "$KEY_FETCH_DELAY"
  done
  if [[ $key != "-----BEGIN "*"PRIVATE KEY-----"* ]]; then
    log "$SSH_KEY_PARAMETER does not hold a PEM or OpenSSH private key"
    return 1
  fi
  mkdir -p "$(dirname "$SSH_KEY_PATH")"
  tmp=$(mktemp "$SSH_KEY_PATH.XXXXXX")
  chmod 600 "$tmp"
  printf '%s\n' "$key" >"$tmp"
  mv -f "$tmp" "$SSH_KEY_PATH"
  log "wrote the workers' SSH key to $SSH_KEY_PATH, mode 0600"
}

main() {
  case "${1:-}" in
    fetch-ssh-key) fetch_ssh_key ;;
    *)
      printf 'usage: %s fetch-ssh-key\n' "${0##*/}" >&2
      return 2
      ;;
  esac
}

main "$@"
