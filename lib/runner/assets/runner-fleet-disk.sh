# shellcheck shell=bash
# runner-fleet, part: docker disk hygiene (clean-disk).

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
