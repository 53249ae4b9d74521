#!/usr/bin/env bash
# runner-fleet: the on-host part of a RunnerFleet (lib/runner/fleet.ts).
#
#   runner-fleet configure       Write config.toml from its template, each runner's
#                                placeholder replaced by its token read from an SSM
#                                SecureString parameter (file mode 0600).
#                                Runs as ExecStartPre of gitlab-runner.service.
#   runner-fleet watch           Drain watcher. When the instance enters
#                                Terminating:Wait, stop taking jobs (graceful stop =
#                                SIGQUIT), wait until no job runs (heartbeats keep the
#                                lifecycle hook open), then complete the lifecycle
#                                action. On a spot interruption notice or a rebalance
#                                recommendation, stop taking jobs at once.
#   runner-fleet publish-metric  Put running jobs / concurrent (percent) to CloudWatch
#                                for the group's target tracking policy.
#
# Settings come from the environment file that cloud-init writes
# (RUNNER_FLEET_ENV). Tests replace aws, curl and systemctl on PATH and point
# IMDS_URL and METRICS_URL at fakes; loops take their intervals from the
# environment and MAX_ITERATIONS bounds the watch loop.
set -euo pipefail

RUNNER_FLEET_ENV=${RUNNER_FLEET_ENV:-/etc/runner-fleet/fleet.env}
if [[ -r $RUNNER_FLEET_ENV ]]; then
  # shellcheck source=/dev/null
  . "$RUNNER_FLEET_ENV"
fi

IMDS_URL=${IMDS_URL:-http://169.254.169.254}
POLL_INTERVAL=${POLL_INTERVAL:-5}
DRAIN_POLL_INTERVAL=${DRAIN_POLL_INTERVAL:-10}
MAX_ITERATIONS=${MAX_ITERATIONS:-0}
TOKEN_FETCH_ATTEMPTS=${TOKEN_FETCH_ATTEMPTS:-30}
TOKEN_FETCH_DELAY=${TOKEN_FETCH_DELAY:-10}

log() {
  printf '%s runner-fleet: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# imds PATH: one instance metadata item over IMDSv2 (the hop limit keeps job
# containers out; this runs on the host).
imds() {
  local token
  token=$(curl -fsS --max-time 2 -X PUT "$IMDS_URL/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/$1"
}

# running_jobs: the jobs the runner runs now (sum of gitlab_runner_jobs over
# all its series); fails when the metrics endpoint does not answer.
running_jobs() {
  local metrics
  metrics=$(curl -fsS --max-time 5 "${METRICS_URL:?}") || return 1
  awk '/^gitlab_runner_jobs[{ ]/ { sum += $NF } END { printf "%d\n", sum }' <<<"$metrics"
}

# runner_stopped: true once the runner process has exited (a graceful stop
# shows "deactivating" while jobs still run).
runner_stopped() {
  local state
  state=$(systemctl show --property=ActiveState --value "${RUNNER_SERVICE:?}") || return 1
  [[ $state == inactive || $state == failed ]]
}

stop_taking_jobs() {
  log "stop taking new jobs ($1): graceful stop of $RUNNER_SERVICE (SIGQUIT); running jobs finish"
  systemctl stop --no-block "${RUNNER_SERVICE:?}"
  systemctl stop --no-block "${METRICS_TIMER:?}" || true
}

# lifecycle_action complete|heartbeat
lifecycle_action() {
  local instance region
  instance=$(imds instance-id)
  region=$(imds placement/region)
  if [[ $1 == complete ]]; then
    aws autoscaling complete-lifecycle-action --region "$region" \
      --auto-scaling-group-name "$ASG_NAME" --lifecycle-hook-name "$LIFECYCLE_HOOK_NAME" \
      --instance-id "$instance" --lifecycle-action-result CONTINUE
  else
    aws autoscaling record-lifecycle-action-heartbeat --region "$region" \
      --auto-scaling-group-name "$ASG_NAME" --lifecycle-hook-name "$LIFECYCLE_HOOK_NAME" \
      --instance-id "$instance"
  fi
}

interruption_notice() {
  imds spot/instance-action >/dev/null 2>&1 || imds events/recommendations/rebalance >/dev/null 2>&1
}

drain() {
  : "${HEARTBEAT_INTERVAL:?}" "${DRAIN_TIMEOUT:?}"
  stop_taking_jobs "the instance is terminating"
  local started=$SECONDS last_heartbeat=$SECONDS jobs
  while true; do
    if runner_stopped; then
      jobs=0
    else
      jobs=$(running_jobs) || jobs=unknown
    fi
    if [[ $jobs == 0 ]]; then
      log "no job is running"
      break
    fi
    if ((SECONDS - started >= DRAIN_TIMEOUT)); then
      log "drain timeout (${DRAIN_TIMEOUT}s) with jobs=$jobs: completing the lifecycle action anyway"
      break
    fi
    log "waiting for $jobs running job(s)"
    if ((SECONDS - last_heartbeat >= HEARTBEAT_INTERVAL)); then
      lifecycle_action heartbeat || log "lifecycle heartbeat failed"
      last_heartbeat=$SECONDS
    fi
    sleep "$DRAIN_POLL_INTERVAL"
  done
  lifecycle_action complete
  log "lifecycle action completed; the instance terminates"
}

watch() {
  : "${ASG_NAME:?}" "${LIFECYCLE_HOOK_NAME:?}"
  local iterations=0 stopped=no state
  while true; do
    state=$(imds autoscaling/target-lifecycle-state) || state=unknown
    if [[ $state == Terminated ]]; then
      drain
      return 0
    fi
    if [[ $stopped == no ]] && interruption_notice; then
      stop_taking_jobs "spot interruption notice or rebalance recommendation"
      stopped=yes
    fi
    iterations=$((iterations + 1))
    if ((MAX_ITERATIONS > 0 && iterations >= MAX_ITERATIONS)); then
      return 0
    fi
    sleep "$POLL_INTERVAL"
  done
}

publish_metric() {
  : "${ASG_NAME:?}" "${CONCURRENT:?}" "${METRIC_NAMESPACE:?}" "${METRIC_NAME:?}"
  local jobs value region
  if ! jobs=$(running_jobs); then
    log "the runner's metrics endpoint does not answer: nothing published"
    return 0
  fi
  value=$(awk -v jobs="$jobs" -v slots="$CONCURRENT" 'BEGIN { printf "%.1f", 100 * jobs / slots }')
  region=$(imds placement/region)
  aws cloudwatch put-metric-data --region "$region" --namespace "$METRIC_NAMESPACE" \
    --metric-name "$METRIC_NAME" --unit Percent --value "$value" \
    --dimensions "AutoScalingGroupName=$ASG_NAME"
}

# fetch_token NAME REGION: the parameter's decrypted value on stdout. Retries,
# because the role's policy may still be propagating when the first hosts boot.
fetch_token() {
  local attempt
  for ((attempt = 1; attempt <= TOKEN_FETCH_ATTEMPTS; attempt++)); do
    if aws ssm get-parameter --region "$2" --name "$1" --with-decryption \
      --query Parameter.Value --output text; then
      return 0
    fi
    log "reading $1 failed (attempt $attempt of $TOKEN_FETCH_ATTEMPTS)"
    sleep "$TOKEN_FETCH_DELAY"
  done
  return 1
}

configure() {
  : "${RUNNER_COUNT:?}" "${RUNNER_CONFIG:?}" "${RUNNER_CONFIG_TEMPLATE:?}"
  local region content i name_var name placeholder_var placeholder token tmp
  region=$(imds placement/region)
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
    token=$(fetch_token "$name" "$region")
    if [[ ! $token =~ ^[A-Za-z0-9._-]{16,}$ ]]; then
      log "$name does not hold a runner authentication token (16 or more letters, digits, '.', '_', '-')"
      return 1
    fi
    content=${content//"$placeholder"/"$token"}
  done
  tmp=$(mktemp "$RUNNER_CONFIG.XXXXXX")
  chmod 600 "$tmp"
  printf '%s\n' "$content" >"$tmp"
  mv -f "$tmp" "$RUNNER_CONFIG"
  log "wrote $RUNNER_CONFIG with $RUNNER_COUNT runner token(s), mode 0600"
}

main() {
  case "${1:-}" in
    configure) configure ;;
    watch) watch ;;
    publish-metric) publish_metric ;;
    *)
      printf 'usage: %s configure|watch|publish-metric\n' "${0##*/}" >&2
      return 2
      ;;
  esac
}

main "$@"
