# shellcheck shell=bash
# runner-fleet, part: config.toml from its template and the tokens in SSM (configure).

# fetch_token NAME REGION ATTEMPTS: the parameter's decrypted value on stdout.
# Retries at boot, because the role's policy may still be propagating when the
# first hosts boot.
fetch_token() {
  local attempt
  for ((attempt = 1; attempt <= $3; attempt++)); do
    if aws_call ssm get-parameter --region "$2" --name "$1" --with-decryption \
      --query Parameter.Value --output text; then
      return 0
    fi
    log "reading $1 failed (attempt $attempt of $3)"
    if ((attempt < $3)); then sleep "$TOKEN_FETCH_DELAY"; fi
  done
  return 1
}

# configure [ATTEMPTS]: ATTEMPTS reads of each token (default TOKEN_FETCH_ATTEMPTS).
# Sets config_changed to yes when it rewrote config.toml.
config_changed=no
configure() {
  : "${RUNNER_COUNT:?}" "${RUNNER_CONFIG:?}" "${RUNNER_CONFIG_TEMPLATE:?}"
  local attempts=${1:-$TOKEN_FETCH_ATTEMPTS} region content i name_var name placeholder_var placeholder token tmp
  region=$(imds placement/region) || return 1
  content=$(<"$RUNNER_CONFIG_TEMPLATE")
  for ((i = 0; i < RUNNER_COUNT; i++)); do
    name_var="RUNNER_TOKEN_PARAMETER_$i"
    name=${!name_var:?}
    placeholder_var="RUNNER_TOKEN_PLACEHOLDER_$i"
    placeholder=${!placeholder_var:?}
    if [[ $content != *"$placeholder"* ]]; then
      log "$RUNNER_CONFIG_TEMPLATE has no $placeholder"
      return 1
    fi
    token=$(fetch_token "$name" "$region" "$attempts") || return 1
    if [[ ! $token =~ ^[A-Za-z0-9._-]{16,}$ ]]; then
      log "$name does not hold a runner authentication token"
      return 1
    fi
    content=${content//"$placeholder"/"$token"}
  done
  config_changed=no
  if [[ -r $RUNNER_CONFIG && "$(<"$RUNNER_CONFIG")" == "$content" ]]; then
    log "$RUNNER_CONFIG is up to date"
    return 0
  fi
  tmp=$(mktemp "$RUNNER_CONFIG.XXXXXX")
  chmod 600 "$tmp"
  printf '%s\n' "$content" >"$tmp"
  mv -f "$tmp" "$RUNNER_CONFIG"
  # shellcheck disable=SC2034 # read by reread_tokens (runner-fleet-drain.sh, joined into one script)
  config_changed=yes
  log "wrote $RUNNER_CONFIG"
}
