#!/usr/bin/env bash
# A fake curl, aws, systemctl, docker or df for tests of
# lib/runner/assets/runner-fleet.sh (installed under those names by
# test/support/fake-host.ts). Logs every call to $FAKE_DIR/calls.log and
# answers from $FAKE_DIR/responses/<key>/<n>, one numbered body per call (the
# last repeats; <n>.fail makes the call fail, <n>.sleep makes it hang).
#
# When $FAKE_DIR/runner/ exists, it is a fake gitlab-runner process: a timeline
# of steps <n>.state (systemd ActiveState) and <n>.metrics (its Prometheus
# text). Each `systemctl show` of the runner moves to the next step (the last
# one repeats); the metrics endpoint answers from the current step and fails
# once the process has exited (inactive or failed).
set -u
tool=${0##*/}
{
  printf '%s' "$tool"
  printf ' %q' "$@"
  printf '\n'
} >>"$FAKE_DIR/calls.log"
# With FAKE_WATCH_FILE set, every call also records whether that file existed
# when the call was made (an ordering check: a file written before a call).
if [ -n "${FAKE_WATCH_FILE:-}" ]; then
  present=absent
  if [ -e "$FAKE_WATCH_FILE" ]; then present=present; fi
  {
    printf '%s' "$tool"
    printf ' %q' "$@"
    printf ' [%s]\n' "$present"
  } >>"$FAKE_DIR/watch.log"
fi
runner="$FAKE_DIR/runner"
step() {
  local n=1
  if [ -f "$runner/current" ]; then n=$(<"$runner/current"); fi
  printf '%s' "$n"
}
case $tool in
  curl)
    url="" method=GET
    for arg in "$@"; do
      case $arg in
        http://*) url=$arg ;;
        PUT) method=PUT ;;
      esac
    done
    if [ "$method" = PUT ]; then
      echo fake-imds-token
      exit 0
    fi
    key=${url#http://*/}
    if [ "$key" = metrics ] && [ -d "$runner" ]; then
      n=$(step)
      case $(<"$runner/$n.state") in inactive | failed) exit 7 ;; esac
      printf '%s' "$(<"$runner/$n.metrics")"
      exit 0
    fi
    ;;
  systemctl)
    # The signals gitlab-runner receives, one per line in $FAKE_DIR/signals:
    # the first `systemctl stop` of the unit sends its KillSignal (SIGQUIT);
    # a stop while a stop job is pending sends nothing (systemd merges the job);
    # `systemctl kill --signal=X` sends X.
    case "${1:-}" in
      stop)
        case "$*" in *gitlab-runner.service*)
          if [ ! -f "$FAKE_DIR/stopping" ]; then
            echo SIGQUIT >>"$FAKE_DIR/signals"
            touch "$FAKE_DIR/stopping"
          fi
          ;;
        esac
        ;;
      start) rm -f "$FAKE_DIR/stopping" ;;
      kill)
        for arg in "$@"; do
          case $arg in --signal=*) echo "${arg#--signal=}" >>"$FAKE_DIR/signals" ;; esac
        done
        ;;
    esac
    if [ "${1:-}" != show ]; then
      # Scripted answers for e.g. `systemctl stop` (key "systemctl stop"); otherwise success.
      if [ ! -d "$FAKE_DIR/responses/systemctl_${1:-}" ]; then exit 0; fi
      key="systemctl ${1:-}"
    elif [ -d "$runner" ]; then
      n=1
      if [ -f "$runner/started" ]; then n=$(($(step) + 1)); fi
      if [ ! -f "$runner/$n.state" ]; then n=$((n - 1)); fi
      echo "$n" >"$runner/current"
      touch "$runner/started"
      printf '%s\n' "$(<"$runner/$n.state")"
      exit 0
    else
      key=state
    fi
    ;;
  aws) key="aws ${1:-} ${2:-}" ;;
  docker)
    # Scripted answers for e.g. `docker image ls` (key "docker image ls"); otherwise success, no output.
    key="docker ${1:-} ${2:-}"
    ;;
  df) key="df" ;;
  *) exit 2 ;;
esac
key=${key//\//_}
dir="$FAKE_DIR/responses/${key// /_}"
if [ ! -d "$dir" ]; then
  if [ "$tool" = curl ]; then exit 22; fi
  exit 0
fi
n=1
if [ -f "$dir/next" ]; then n=$(<"$dir/next"); fi
if [ ! -f "$dir/$n" ]; then n=$((n - 1)); fi
echo $((n + 1)) >"$dir/next"
# A hanging call (<n>.sleep holds the seconds): exec, so that a timeout's signal reaches the sleep.
if [ -f "$dir/$n.sleep" ]; then exec sleep "$(<"$dir/$n.sleep")"; fi
if [ -f "$dir/$n.fail" ]; then exit 22; fi
printf '%s' "$(<"$dir/$n")"
