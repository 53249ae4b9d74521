#!/usr/bin/env bash
# install-runner-fleet: the first boot step of a RunnerFleet host (lib/runner/fleet.ts).
#
# Writes the on-host script (runner-fleet) to SCRIPT_TARGET from the SSM String
# parameters that hold it (base64, cut into parts of at most 4096 characters, the
# Standard tier's limit), and only when the decoded script's SHA-256 is the
# SCRIPT_SHA256 the user data carries: whoever could change the parameters still
# cannot change what a host runs. The script stays out of user data, which leaves
# EC2's 16 KB to the settings that vary per fleet.
#
# Retries (SCRIPT_FETCH_ATTEMPTS, SCRIPT_FETCH_DELAY seconds apart) while the host
# role's policy may still be propagating at first boot; a digest mismatch fails at
# once. Without the script nothing starts: the runner's ExecStartPre runs it.
#
# Settings come from the environment file that cloud-init writes (RUNNER_FLEET_ENV):
# SCRIPT_SHA256, SCRIPT_PARAMETER_COUNT and SCRIPT_PARAMETER_<i>. Tests replace
# aws and curl on PATH and point IMDS_URL at a fake.
set -euo pipefail

RUNNER_FLEET_ENV=${RUNNER_FLEET_ENV:-/etc/runner-fleet/fleet.env}
if [[ -r $RUNNER_FLEET_ENV ]]; then
  # shellcheck source=/dev/null
  . "$RUNNER_FLEET_ENV"
fi

IMDS_URL=${IMDS_URL:-http://169.254.169.254}
SCRIPT_TARGET=${SCRIPT_TARGET:-/usr/local/bin/runner-fleet}
SCRIPT_FETCH_ATTEMPTS=${SCRIPT_FETCH_ATTEMPTS:-30}
SCRIPT_FETCH_DELAY=${SCRIPT_FETCH_DELAY:-10}
AWS_CALL_TIMEOUT=${AWS_CALL_TIMEOUT:-20}

log() {
  printf '%s install-runner-fleet: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# region: the instance's region over IMDSv2.
region() {
  local token
  token=$(curl -fsS --max-time 2 -X PUT "$IMDS_URL/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/placement/region"
}

# fetch REGION: the parameters' values joined, on stdout.
fetch() {
  local i name_var value encoded=""
  for ((i = 0; i < SCRIPT_PARAMETER_COUNT; i++)); do
    name_var="SCRIPT_PARAMETER_$i"
    value=$(timeout "$AWS_CALL_TIMEOUT" aws ssm get-parameter --region "$1" --name "${!name_var:?}" \
      --query Parameter.Value --output text) || return 1
    encoded+=$value
  done
  printf '%s' "$encoded"
}

main() {
  : "${SCRIPT_SHA256:?}" "${SCRIPT_PARAMETER_COUNT:?}"
  local attempt region encoded tmp digest
  for ((attempt = 1; attempt <= SCRIPT_FETCH_ATTEMPTS; attempt++)); do
    if region=$(region) && encoded=$(fetch "$region"); then
      tmp=$(mktemp "$SCRIPT_TARGET.XXXXXX")
      if ! base64 -d <<<"$encoded" >"$tmp"; then
        rm -f "$tmp"
        log "the script parameters do not hold base64"
        return 1
      fi
      digest=$(sha256sum "$tmp")
      digest=${digest%% *}
      if [[ $digest != "$SCRIPT_SHA256" ]]; then
        rm -f "$tmp"
        log "the script from SSM has SHA-256 $digest, not $SCRIPT_SHA256: not installed"
        return 1
      fi
      chmod 755 "$tmp"
      mv -f "$tmp" "$SCRIPT_TARGET"
      log "installed $SCRIPT_TARGET (SHA-256 $digest)"
      return 0
    fi
    log "reading the script parameters failed (attempt $attempt of $SCRIPT_FETCH_ATTEMPTS)"
    if ((attempt < SCRIPT_FETCH_ATTEMPTS)); then sleep "$SCRIPT_FETCH_DELAY"; fi
  done
  return 1
}

main "$@"
