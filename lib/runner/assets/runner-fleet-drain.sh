# shellcheck shell=bash
# runner-fleet, part: holding and stopping the runner, the lifecycle hook, the
# drain, token re-reads after 403 answers, may-start and the watch loop.

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
  # shellcheck disable=SC2154 # set by configure (runner-fleet-configure.sh, joined into one script)
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
