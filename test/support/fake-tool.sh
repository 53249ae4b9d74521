#!/usr/bin/env bash
# A fake curl, aws or systemctl for tests of lib/runner/assets/runner-fleet.sh
# (installed under those names by test/support/fake-host.ts). Logs every call
# to $FAKE_DIR/calls.log and answers from $FAKE_DIR/responses/<key>/<n>, one
# numbered body per call (the last repeats; <n>.fail makes the call fail).
set -u
tool=${0##*/}
{
  printf '%s' "$tool"
  printf ' %q' "$@"
  printf '\n'
} >>"$FAKE_DIR/calls.log"
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
    ;;
  systemctl)
    if [ "${1:-}" != show ]; then exit 0; fi
    key=state
    ;;
  aws) key="aws ${1:-} ${2:-}" ;;
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
if [ -f "$dir/$n.fail" ]; then exit 22; fi
printf '%s' "$(<"$dir/$n")"
