# shellcheck shell=bash
# runner-fleet, part: the metrics the host publishes (publish-metric).

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
