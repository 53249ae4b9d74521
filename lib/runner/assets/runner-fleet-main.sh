# shellcheck shell=bash
# runner-fleet, part: the command dispatcher (last, after every function).

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
