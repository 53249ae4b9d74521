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
# The script is joined from parts, in the order RUNNER_FLEET_SCRIPT_PARTS in
# lib/runner/host-files.ts lists them: this file (settings and the helpers every
# part uses), runner-fleet-drain.sh, runner-fleet-metrics.sh,
# runner-fleet-disk.sh, runner-fleet-configure.sh and runner-fleet-main.sh (the
# dispatcher, last). Hosts get the joined script as one file.
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
