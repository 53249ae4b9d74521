#!/usr/bin/env bash
# runner-fleet: the on-host part of a RunnerFleet (lib/runner/fleet.ts).
#
#   runner-fleet configure       Write config.toml from its template, each runner's
#                                placeholder replaced by its token read from an SSM
#                                SecureString parameter (file mode 0600). Rewrites
#                                the file only when it changes: gitlab-runner reloads
#                                config.toml by itself when its modification time
#                                changes (commands/multi.go, checkConfig).
#                                Runs as ExecStartPre of gitlab-runner.service.
#   runner-fleet may-start       Whether gitlab-runner may start: fails when the
#                                watcher has stopped it (the hold file exists) or
#                                the instance is terminating or has a spot
#                                interruption notice. Runs as the first
#                                ExecStartPre of gitlab-runner.service, so no
#                                start (the package's post-install, cloud-init's
#                                runcmd, systemd's Restart=) can undo a drain.
#   runner-fleet watch           The watcher (started before the runner at boot):
#                                - Terminating:Wait: hold the runner (see
#                                  may-start), graceful stop (SIGQUIT), then
#                                  complete the lifecycle action only once the runner
#                                  process has exited (a worker inside a job request
#                                  still runs the job it receives), with heartbeats;
#                                - spot interruption notice: hold, then forceful
#                                  stop (SIGTERM, once per host lifetime), so running jobs fail as
#                                  runner_system_failure (retryable) instead of
#                                  dying with the host;
#                                - rebalance recommendation: hold and graceful stop;
#                                  when the group has not replaced the host after
#                                  REBALANCE_WAIT seconds, release and take jobs again;
#                                - the runner's API answers 403 on job requests
#                                  (token expired or replaced): read the tokens
#                                  again, one attempt per loop iteration at most
#                                  (every TOKEN_FETCH_DELAY seconds after a failed
#                                  read, every TOKEN_REREAD_INTERVAL seconds while
#                                  the parameter still holds the old token) until
#                                  the token changes or job requests succeed again,
#                                  then reload the runner; notices are still seen
#                                  every POLL_INTERVAL seconds.
#   runner-fleet publish-metric  Put job-slot utilisation, running jobs, job slots,
#                                average queue time and disk use to CloudWatch.
#   runner-fleet clean-disk      When the docker disk is fuller than DISK_HIGH_PERCENT
#                                and no job runs: remove images no container uses and
#                                not tagged within PRUNE_MIN_AGE, one at a time, each
#                                only while still no job runs; then build cache unused
#                                for PRUNE_MIN_AGE.
#
# Every AWS CLI call is bounded by AWS_CALL_TIMEOUT seconds (the CLI's own
# retries and timeouts could otherwise hold the watch and drain loops for
# minutes, past a spot notice's two minutes).
#
# Settings come from the environment file that cloud-init writes
# (RUNNER_FLEET_ENV). Tests replace aws, curl, systemctl, docker and df on PATH
# and point IMDS_URL and METRICS_URL at fakes; loops take their intervals from
# the environment and MAX_ITERATIONS bounds the watch loop.
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
TOKEN_REREAD_INTERVAL=${TOKEN_REREAD_INTERVAL:-60}
REBALANCE_WAIT=${REBALANCE_WAIT:-600}
AUTH_CHECK_INTERVAL=${AUTH_CHECK_INTERVAL:-60}
STATE_DIR=${STATE_DIR:-/run/runner-fleet}
AWS_CALL_TIMEOUT=${AWS_CALL_TIMEOUT:-20}
DOCKER_ROOT=${DOCKER_ROOT:-/var/lib/docker}
DISK_HIGH_PERCENT=${DISK_HIGH_PERCENT:-75}
PRUNE_MIN_AGE=${PRUNE_MIN_AGE:-24h}

log() {
  printf '%s runner-fleet: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

# aws_call ARGS: the AWS CLI, killed after AWS_CALL_TIMEOUT seconds.
aws_call() {
  timeout "$AWS_CALL_TIMEOUT" aws "$@"
}

# The hold file: while it exists, gitlab-runner.service does not start (may-start).
# It lives on the tmpfs /run: a terminating host never boots again.
hold_file() {
  printf '%s/runner-held\n' "$STATE_DIR"
}

# hold_runner REASON: written before the runner is stopped, so that a start
# racing with the stop (a host that is still booting) cannot take a job.
hold_runner() {
  mkdir -p "$STATE_DIR"
  printf '%s\n' "$1" >"$(hold_file)"
}

release_runner() {
  rm -f "$(hold_file)"
}

# imds PATH: one instance metadata item over IMDSv2 (the hop limit keeps job
# containers out; this runs on the host).
imds() {
  local token
  token=$(curl -fsS --max-time 2 -X PUT "$IMDS_URL/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60') || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/$1"
}

# runner_metrics: the runner's Prometheus text; fails when the endpoint does not answer.
runner_metrics() {
  curl -fsS --max-time 5 "${METRICS_URL:?}"
}

# metric_sum NAME [FILTER]: the sum of a metric's series (those whose line
# matches the regular expression FILTER) in the Prometheus text on stdin.
metric_sum() {
  awk -v name="$1" -v filter="${2:-}" '
    index($0, name "{") == 1 || index($0, name " ") == 1 {
      if ($0 ~ filter) sum += $NF
    }
    END { printf "%d\n", sum }'
}

# busy: "<running jobs> <open job requests>" from the runner's metrics
# (gitlab_runner_jobs and gitlab_runner_request_concurrency, commands/builds_helper.go).
busy() {
  local metrics
  metrics=$(runner_metrics) || return 1
  printf '%s %s\n' "$(metric_sum gitlab_runner_jobs <<<"$metrics")" "$(metric_sum gitlab_runner_request_concurrency <<<"$metrics")"
}

# runner_stopped: true once the runner process has exited (a graceful stop
# shows "deactivating" while jobs or job requests are still open).
runner_stopped() {
  local state
  state=$(systemctl show --property=ActiveState --value "${RUNNER_SERVICE:?}") || return 1
  [[ $state == inactive || $state == failed ]]
}

stop_taking_jobs() {
  hold_runner "$1"
  log "graceful stop ($1)"
  # Tolerates a runner that is not installed yet (a host terminated while booting).
  systemctl stop --no-block "${RUNNER_SERVICE:?}" || log "stopping $RUNNER_SERVICE failed"
  systemctl stop --no-block "${METRICS_TIMER:?}" || true
}

# The forced-stop file: the forceful stop was sent. It is sent once per host
# lifetime (the file lives on the tmpfs /run), whatever notices follow and even
# when the watcher itself restarts.
FORCED=$STATE_DIR/runner-forced

# stop_forcefully: the stop job first (so systemd does not restart the runner),
# then SIGTERM to the runner's main process. A SIGTERM during a graceful stop
# switches the runner to its forceful shutdown (handleGracefulShutdown then
# handleForcefulShutdown in commands/multi.go): jobs are aborted and reported
# as runner_system_failure (common/build.go), within shutdown_timeout. Exactly
# once: handleForcefulShutdown takes any further signal as "forced exit with
# stop signal" and returns at once, before abortAllBuilds reported the jobs
# (GitLab Runner 18.11.2, commands/multi.go).
stop_forcefully() {
  if [[ -e "$FORCED" ]]; then
    return 0
  fi
  hold_runner "$1"
  echo "$1" >"$FORCED"
  log "forceful stop ($1)"
  systemctl stop --no-block "${RUNNER_SERVICE:?}" || log "stopping $RUNNER_SERVICE failed"
  systemctl stop --no-block "${METRICS_TIMER:?}" || true
  systemctl kill --kill-who=main --signal=SIGTERM "$RUNNER_SERVICE" || true
}

resume_taking_jobs() {
  release_runner
  log "take jobs again ($1)"
  systemctl start --no-block "${RUNNER_SERVICE:?}"
  systemctl start --no-block "${METRICS_TIMER:?}" || true
}

# lifecycle_action complete|heartbeat
lifecycle_action() {
  local instance region
  instance=$(imds instance-id)
  region=$(imds placement/region)
  if [[ $1 == complete ]]; then
    aws_call autoscaling complete-lifecycle-action --region "$region" \
      --auto-scaling-group-name "$ASG_NAME" --lifecycle-hook-name "$LIFECYCLE_HOOK_NAME" \
      --instance-id "$instance" --lifecycle-action-result CONTINUE
  else
    aws_call autoscaling record-lifecycle-action-heartbeat --region "$region" \
      --auto-scaling-group-name "$ASG_NAME" --lifecycle-hook-name "$LIFECYCLE_HOOK_NAME" \
      --instance-id "$instance"
  fi
}

spot_notice() {
  imds spot/instance-action >/dev/null 2>&1
}

# publish NAME VALUE UNIT: one data point in the fleet's namespace, for this group.
publish() {
  local region
  region=$(imds placement/region) || return 1
  aws_call cloudwatch put-metric-data --region "$region" --namespace "${METRIC_NAMESPACE:?}" \
    --metric-name "$1" --unit "$3" --value "$2" --dimensions "AutoScalingGroupName=${ASG_NAME:?}"
}

drain() {
  : "${HEARTBEAT_INTERVAL:?}" "${DRAIN_TIMEOUT:?}"
  stop_taking_jobs "the instance is terminating"
  local started=$SECONDS last_heartbeat=$SECONDS counts
  while ! runner_stopped; do
    if [[ ! -e "$FORCED" ]] && spot_notice; then
      stop_forcefully "spot interruption notice while draining"
    fi
    counts=$(busy) || counts="unknown unknown"
    if ((SECONDS - started >= DRAIN_TIMEOUT)); then
      log "drain timeout (${DRAIN_TIMEOUT}s) with jobs and open job requests ${counts}: completing the lifecycle action anyway"
      break
    fi
    log "waiting for the runner to exit (running jobs, open job requests: ${counts})"
    if ((SECONDS - last_heartbeat >= HEARTBEAT_INTERVAL)); then
      lifecycle_action heartbeat || log "lifecycle heartbeat failed"
      last_heartbeat=$SECONDS
    fi
    sleep "$DRAIN_POLL_INTERVAL"
  done
  log "the runner has exited after $((SECONDS - started))s"
  if [[ -n ${METRIC_NAMESPACE:-} ]]; then
    put DrainDuration "$((SECONDS - started))" Seconds
  fi
  lifecycle_action complete
  log "lifecycle action completed"
}

# check_auth: when the runner's job requests got new 403 answers since the last
# check (gitlab_runner_api_request_statuses_total, network/api_requests_collector.go),
# the tokens are to be read again (reread_tokens). The re-reads go on until
# the parameter holds a token other than config.toml's, or until job requests
# succeed again (201 job or 204 no job on request_job, network/gitlab.go
# RequestJob): with the documented rotation order (reset the token in GitLab,
# then put-parameter) the first re-read still finds the old token, and an
# unhealthy runner sends no more requests that could answer 403 again.
last_forbidden=-1
last_succeeded=-1
token_reread=no
next_token_attempt=0
check_auth() {
  local metrics forbidden succeeded
  metrics=$(runner_metrics) || return 0
  forbidden=$(metric_sum gitlab_runner_api_request_statuses_total 'status="403"' <<<"$metrics")
  # Labels come sorted by name (endpoint before status).
  succeeded=$(metric_sum gitlab_runner_api_request_statuses_total 'endpoint="request_job".*status="20[14]"' <<<"$metrics")
  if ((last_forbidden >= 0 && forbidden > last_forbidden)); then
    log "job requests refused with 403 ($((forbidden - last_forbidden)) new): reading the tokens again"
    token_reread=yes
  elif [[ $token_reread == yes ]] && ((last_succeeded >= 0 && succeeded > last_succeeded)); then
    log "job requests succeed again"
    token_reread=no
  fi
  last_forbidden=$forbidden
  last_succeeded=$succeeded
}

# reread_tokens: while a re-read is due, one attempt (one SSM read per token,
# each bounded by AWS_CALL_TIMEOUT), at most every TOKEN_FETCH_DELAY seconds
# after a failed read and every TOKEN_REREAD_INTERVAL seconds while the
# parameter still holds config.toml's token. Never the boot-time retries of
# configure: those would hold the watch loop for minutes, and with it the
# handling of spot notices and termination.
#
# A changed token is rewritten into config.toml and the runner reloads it
# (SIGHUP, commands/multi.go; it also reloads on the file's new modification
# time). The new token starts healthy: the runner keeps its health (failures,
# unhealthy_interval, 60 minutes by default, common/consts.go) per
# RunnerCredentials.UniqueID, the URL and the token's first characters
# (common/config.go, commands/health_helper.go), so the backoff the old token
# earned is not waited out.
reread_tokens() {
  if [[ $token_reread != yes ]] || ((SECONDS < next_token_attempt)); then
    return 0
  fi
  next_token_attempt=$((SECONDS + TOKEN_FETCH_DELAY))
  if ! configure 1; then
    log "reading the runner tokens failed; trying again in ${TOKEN_FETCH_DELAY}s"
    return 0
  fi
  if [[ $config_changed == yes ]]; then
    token_reread=no
    log "tokens changed: reloading $RUNNER_SERVICE"
    systemctl kill --kill-who=main --signal=SIGHUP "${RUNNER_SERVICE:?}" || true
  else
    next_token_attempt=$((SECONDS + TOKEN_REREAD_INTERVAL))
    log "tokens unchanged in SSM: reading again in ${TOKEN_REREAD_INTERVAL}s"
  fi
}

# may_start: the first ExecStartPre of gitlab-runner.service. Refuses to start
# the runner while the watcher holds it (drain, spot notice, rebalance wait),
# and when the instance is already terminating or reclaimed (the watcher may
# not have seen it yet). A start that passed this check before the hold was
# written is still stopped by the watcher, which writes the hold first.
may_start() {
  local state service=${RUNNER_SERVICE:-gitlab-runner.service}
  if [[ -e "$(hold_file)" ]]; then
    log "not starting $service: stopped by the watcher ($(<"$(hold_file)"))"
    return 1
  fi
  state=$(imds autoscaling/target-lifecycle-state) || state=unknown
  if [[ $state == Terminated ]]; then
    hold_runner "the instance is terminating"
    log "not starting $service: the instance is terminating"
    return 1
  fi
  if spot_notice; then
    hold_runner "spot interruption notice"
    log "not starting $service: spot interruption notice"
    return 1
  fi
}

watch() {
  : "${ASG_NAME:?}" "${LIFECYCLE_HOOK_NAME:?}"
  local iterations=0 state rebalance="" handled_rebalance="" waiting=no rebalance_since=0 last_auth_check=$SECONDS
  while true; do
    state=$(imds autoscaling/target-lifecycle-state) || state=unknown
    if [[ $state == Terminated ]]; then
      drain
      return 0
    fi
    if [[ ! -e "$FORCED" ]] && spot_notice; then
      stop_forcefully "spot interruption notice"
    fi
    if [[ ! -e "$FORCED" ]]; then
      rebalance=$(imds events/recommendations/rebalance 2>/dev/null) || rebalance=""
      if [[ -n $rebalance && $rebalance != "$handled_rebalance" ]]; then
        stop_taking_jobs "rebalance recommendation"
        handled_rebalance=$rebalance
        waiting=yes
        rebalance_since=$SECONDS
      elif [[ $waiting == yes ]] && ((SECONDS - rebalance_since >= REBALANCE_WAIT)); then
        resume_taking_jobs "no replacement within ${REBALANCE_WAIT}s of the rebalance recommendation"
        waiting=no
      fi
    fi
    if ((SECONDS - last_auth_check >= AUTH_CHECK_INTERVAL)); then
      check_auth
      last_auth_check=$SECONDS
    fi
    reread_tokens
    iterations=$((iterations + 1))
    if ((MAX_ITERATIONS > 0 && iterations >= MAX_ITERATIONS)); then
      return 0
    fi
    sleep "$POLL_INTERVAL"
  done
}

# queue_seconds METRICS: the average queue time of the jobs started since the
# last call (gitlab_runner_job_queue_duration_seconds, a histogram), or nothing.
queue_seconds() {
  local sum count previous=(0 0) file="$STATE_DIR/queue"
  sum=$(awk '/^gitlab_runner_job_queue_duration_seconds_sum[{ ]/ { s += $NF } END { printf "%.3f\n", s }' <<<"$1")
  count=$(metric_sum gitlab_runner_job_queue_duration_seconds_count <<<"$1")
  if [[ -r $file ]]; then read -r -a previous <"$file" || true; fi
  mkdir -p "$STATE_DIR"
  printf '%s %s\n' "$sum" "$count" >"$file"
  awk -v s="$sum" -v c="$count" -v ps="${previous[0]:-0}" -v pc="${previous[1]:-0}" \
    'BEGIN { if (c > pc && s >= ps) printf "%.1f\n", (s - ps) / (c - pc) }'
}

disk_used_percent() {
  df --output=pcent "$DOCKER_ROOT" | awk 'NR == 2 { gsub(/[ %]/, ""); print }'
}

# publish_metric: each data point on its own (a failed put-metric-data, e.g.
# a throttled or timed-out call, never drops the others, above all not the
# scaling metric); exits non-zero when any failed, after trying them all.
failed=0
put() {
  publish "$@" || { log "publishing $1 failed"; failed=1; }
}
publish_metric() {
  : "${ASG_NAME:?}" "${CONCURRENT:?}" "${METRIC_NAMESPACE:?}" "${METRIC_NAME:?}"
  local metrics jobs queue disk
  if disk=$(disk_used_percent) && [[ -n $disk ]]; then put DiskUsedPercent "$disk" Percent; else
    log "no DiskUsedPercent: df failed"
    failed=1
  fi
  if ! metrics=$(runner_metrics); then
    log "metrics endpoint does not answer: no job metric published"
    return "$failed"
  fi
  jobs=$(metric_sum gitlab_runner_jobs <<<"$metrics")
  put "$METRIC_NAME" "$(awk -v j="$jobs" -v s="$CONCURRENT" 'BEGIN { printf "%.1f", 100 * j / s }')" Percent
  put RunningJobs "$jobs" Count
  put JobSlots "$CONCURRENT" Count
  queue=$(queue_seconds "$metrics")
  if [[ -n $queue ]]; then put JobQueueDuration "$queue" Seconds; fi
  return "$failed"
}

# no_jobs: true while the runner runs no job. gitlab_runner_jobs counts a job
# from the moment the runner received it (buildsHelper.addBuild comes before
# build.Run, whose prepare stage pulls the images; commands/multi.go), so an
# image pulled for a job is never removed while that job is counted. Fails
# when the metrics endpoint does not answer (nothing is removed then).
no_jobs() {
  [[ $(busy) == "0 "* ]]
}

# clean_disk: above DISK_HIGH_PERCENT, removes images one by one, never:
# - while a job runs (checked before every removal: a job that starts pulls
#   its images after it is counted, see no_jobs); `docker image prune --filter
#   until=` is no substitute, its `until` is the image's creation time, so an
#   image pulled a minute ago can go between a job's pull and its create;
# - an image a container (running or stopped) uses;
# - an image tagged less than PRUNE_MIN_AGE (hours, e.g. 24h) ago (Metadata.LastTagTime: set
#   when an image is tagged, e.g. `docker build -t`, `docker tag`; moby
#   daemon/images TagImage, SetLastUpdated);
# then build cache unused for PRUNE_MIN_AGE.
clean_disk() {
  local used cutoff id tagged refs tags in_use removed=0
  used=$(disk_used_percent)
  if ((used < DISK_HIGH_PERCENT)) || ! no_jobs; then
    log "docker disk ${used}%: no clean-up (below ${DISK_HIGH_PERCENT}%, or jobs run)"
    return 0
  fi
  cutoff=$(($(date +%s) - ${PRUNE_MIN_AGE%h} * 3600))
  in_use=$(docker ps -aq --no-trunc | xargs -r docker inspect --format '{{.Image}}') || true
  # fd 3: no command in the loop can read the list; the last line may lack its newline.
  while read -r id tagged refs <&3 || [[ -n ${id:-} ]]; do
    if [[ -z $id ]] || grep -qxF "$id" <<<"$in_use" || ((tagged > cutoff)); then
      continue
    fi
    if ! no_jobs; then
      log "a job started: stopped after ${removed} image(s)"
      break
    fi
    # By its tags (an image with several tags cannot be removed by id without
    # --force), by id when it has none.
    read -r -a tags <<<"${refs:-$id}"
    docker image rm "${tags[@]}" >/dev/null && removed=$((removed + 1))
  done 3< <(docker images -q --no-trunc | sort -u | xargs -r docker image inspect --format '{{.Id}} {{.Metadata.LastTagTime.Unix}}{{range .RepoTags}} {{.}}{{end}}' || true)
  docker builder prune --all --force --filter "until=$PRUNE_MIN_AGE" || true
  log "removed ${removed} image(s); docker disk now $(disk_used_percent)%"
}

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
  config_changed=yes
  log "wrote $RUNNER_CONFIG"
}

main() {
  case "${1:-}" in
    configure) configure ;;
    may-start) may_start ;;
    watch) watch ;;
    publish-metric) publish_metric ;;
    clean-disk) clean_disk ;;
    *)
      printf 'usage: %s configure|may-start|watch|publish-metric|clean-disk\n' "${0##*/}" >&2
      return 2
      ;;
  esac
}

main "$@"
