#!/bin/bash
# Converges Nexus Repository 3 to the desired state in provision.json (written
# by the NexusMirror construct). Idempotent and safe to re-run: every setting
# is read first and written only when it differs, so a run on a converged
# Nexus sends no POST or PUT.
#
#   1. wait until GET /v1/status/writable answers 200
#   2. admin password: read it from SSM Parameter Store, or generate it here and
#      store it there on first boot (it never passes through Terraform); change
#      the initial password from admin.password while that file exists
#   3. accept the Community Edition EULA when the endpoint exists and it is not accepted
#   4. activate the required realms (DockerToken), enable anonymous read
#   5. create or update the cleanup policies (internal API: the public API has
#      none; CleanupPolicyResource, release-3.77.1-01), applied daily by the
#      "Cleanup service" task Nexus creates itself; then each repository: GET,
#      then POST (missing) or PUT (different), without its cleanup policy when
#      the policy could not be created
#   6. schedule the maintenance tasks (docker GC, blob store compaction): through
#      POST /v1/tasks where it exists, else the way Nexus's own UI creates them
#      (ExtDirect coreui_Task.create, TaskComponent in nexus-coreui-plugin): the
#      Community Edition's public tasks API lists, runs and stops tasks but has
#      no create (TasksResource, release-3.77.1-01); log when neither works
#
# Overridable for tests and manual runs: NEXUS_URL, NEXUS_DATA,
# NEXUS_PROVISION_CONFIG, NEXUS_WAIT_SECONDS, NEXUS_POLL_SECONDS.
# Needs bash, curl, jq and the AWS CLI.
#
# jq programs below use $variables inside single quotes on purpose:
# shellcheck disable=SC2016
set -euo pipefail
umask 077

config=${NEXUS_PROVISION_CONFIG:-/etc/nexus-mirror/provision.json}
api_base="${NEXUS_URL:-http://127.0.0.1:8081}/service/rest"
extdirect_url="${NEXUS_URL:-http://127.0.0.1:8081}/service/extdirect"
data_dir=${NEXUS_DATA:-/nexus-data}
wait_seconds=${NEXUS_WAIT_SECONDS:-900}
poll_seconds=${NEXUS_POLL_SECONDS:-5}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: > "$work/curl-auth"
changes=0
cleanup_policies=yes
status=000
admin_password=""

# A jq function: true when every field of $want has the same value in $have
# (Nexus answers GET with more fields than a POST body has).
subset_jq='def subset($want; $have):
  if ($want | type) == "object" then
    ($have | type) == "object" and all($want | to_entries[]; .key as $k | subset(.value; $have[$k]))
  else $want == $have end;'

log() { TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T nexus-provision: %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
changed() { changes=$((changes + 1)); log "$*"; }

IFS=$'\t' read -r region parameter kms_key_id < <(jq -r '[.region, .adminPasswordParameter, (.adminPasswordKmsKeyId // "")] | @tsv' "$config")

# Basic auth for curl from a file (mode 600), never on a command line.
use_password() {
  local escaped=${1//\\/\\\\}
  escaped=${escaped//\"/\\\"}
  printf 'user = "admin:%s"\n' "$escaped" > "$work/curl-auth"
}

# api METHOD PATH [BODY_FILE [CONTENT_TYPE]]: sets $status; the body is in $work/response.
api() {
  local method=$1 path=$2 body=${3:-} content_type=${4:-application/json}
  local args=(--silent --show-error --max-time 60 --config "$work/curl-auth" --request "$method"
    --output "$work/response" --write-out '%{http_code}')
  if [ -n "$body" ]; then
    args+=(--header "Content-Type: $content_type" --data-binary "@$body")
  fi
  : > "$work/response"
  status=$(curl "${args[@]}" "$api_base$path") || status=000
}

# extdirect BODY_FILE: one ExtDirect RPC (basic auth: the anti-CSRF check
# applies to browser sessions only, AntiCsrfHelper); sets $status and succeeds
# only when Nexus reports result.success.
extdirect() {
  : > "$work/response"
  status=$(curl --silent --show-error --max-time 60 --config "$work/curl-auth" --request POST \
    --header "Content-Type: application/json" --data-binary "@$1" \
    --output "$work/response" --write-out '%{http_code}' "$extdirect_url") || status=000
  [ "$status" = 200 ] && jq -e '.result.success == true' "$work/response" > /dev/null 2>&1
}

expect_success() {
  case $status in
    2??) ;;
    *) die "$1 failed with status $status: $(head -c 500 "$work/response")" ;;
  esac
}

aws_call() { aws --region "$region" "$@" 2> "$work/aws-error"; }

wait_until_writable() {
  local deadline=$((SECONDS + wait_seconds)) code
  while :; do
    code=$(curl --silent --output /dev/null --max-time 10 --write-out '%{http_code}' "$api_base/v1/status/writable") || code=000
    if [ "$code" = 200 ]; then
      log "Nexus is writable"
      return
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      die "Nexus at $api_base is not writable after ${wait_seconds}s (last status $code)"
    fi
    sleep "$poll_seconds"
  done
}

read_admin_password() {
  aws_call ssm get-parameter --name "$parameter" --with-decryption --query Parameter.Value --output text > "$work/password" || return 1
  # read fails at a missing final newline, but still assigns the value.
  IFS= read -r admin_password < "$work/password" || [ -n "$admin_password" ]
}

ensure_admin_password_parameter() {
  if read_admin_password; then
    log "admin password: read from SSM parameter $parameter"
    return
  fi
  grep -q ParameterNotFound "$work/aws-error" || die "cannot read SSM parameter $parameter: $(cat "$work/aws-error")"
  log "admin password: $parameter does not exist, generating one on this host"
  head -c 48 /dev/urandom | base64 | tr -d '/+=\n' > "$work/new-password"
  local key_args=()
  if [ -n "$kms_key_id" ]; then
    key_args=(--key-id "$kms_key_id")
  fi
  if aws_call ssm put-parameter --name "$parameter" --type SecureString "${key_args[@]}" \
    --description "Nexus mirror admin password (written by nexus-provision)" --value "file://$work/new-password" > /dev/null; then
    changed "admin password: stored in SSM parameter $parameter"
  else
    grep -q ParameterAlreadyExists "$work/aws-error" || die "cannot create SSM parameter $parameter: $(cat "$work/aws-error")"
    log "admin password: $parameter was created meanwhile, using it"
  fi
  read_admin_password || die "cannot read back SSM parameter $parameter: $(cat "$work/aws-error")"
}

converge_admin_password() {
  local initial="$data_dir/admin.password"
  if [ -s "$initial" ]; then
    local initial_password
    IFS= read -r initial_password < "$initial" || true
    use_password "$initial_password"
    printf '%s' "$admin_password" > "$work/body"
    api PUT /v1/security/users/admin/change-password "$work/body" text/plain
    case $status in
      2??) changed "admin password: replaced the initial password from admin.password" ;;
      401) log "admin password: admin.password no longer logs in, assuming it was replaced before" ;;
      *) die "changing the initial admin password failed with status $status" ;;
    esac
  fi
  use_password "$admin_password"
  api GET /v1/security/realms/active
  [ "$status" = 200 ] || die "the admin password in $parameter does not log in (status $status); if the data volume comes from another mirror, put that mirror's admin password into $parameter"
}

accept_eula() {
  api GET /v1/system/eula
  case $status in
    200)
      if jq -e '.accepted == true' "$work/response" > /dev/null; then
        log "EULA: already accepted"
        return
      fi
      # POST back exactly the disclaimer Nexus returned, with accepted: true.
      jq '.accepted = true' "$work/response" > "$work/eula"
      api POST /v1/system/eula "$work/eula"
      expect_success "accepting the Community Edition EULA"
      changed "EULA: accepted the Community Edition EULA"
      ;;
    404) log "EULA: no EULA endpoint (not Community Edition 3.77+), nothing to accept" ;;
    *) die "reading the EULA failed with status $status" ;;
  esac
}

converge_realms() {
  api GET /v1/security/realms/active
  expect_success "reading the active realms"
  if jq -e --slurpfile c "$config" '($c[0].realms - .) == []' "$work/response" > /dev/null; then
    log "realms: required realms already active"
    return
  fi
  jq -c --slurpfile c "$config" '. + ($c[0].realms - .)' "$work/response" > "$work/realms"
  api PUT /v1/security/realms/active "$work/realms"
  expect_success "activating realms"
  changed "realms: active realms are now $(< "$work/realms")"
}

converge_anonymous() {
  api GET /v1/security/anonymous
  expect_success "reading anonymous access"
  if jq -e --slurpfile c "$config" "$subset_jq"' subset($c[0].anonymous; .)' "$work/response" > /dev/null; then
    log "anonymous access: already enabled"
    return
  fi
  jq '.anonymous' "$config" > "$work/anonymous"
  api PUT /v1/security/anonymous "$work/anonymous"
  expect_success "enabling anonymous access"
  changed "anonymous access: enabled"
}

# One jq call lists every repository (or task) as two lines: its fields
# (tab-separated) and its request body (compact JSON). The loops read them
# from fd 3, so that nothing inside can consume the list from stdin.
converge_cleanup_policies() {
  local name policy
  while IFS= read -r -u 3 name && IFS= read -r -u 3 policy; do
    printf '%s\n' "$policy" > "$work/policy"
    api GET "/internal/cleanup-policies/$name"
    case $status in
      200)
        if jq -e --slurpfile want "$work/policy" "$subset_jq"' subset($want[0]; .)' "$work/response" > /dev/null; then
          log "cleanup policy $name: up to date"
          continue
        fi
        api PUT "/internal/cleanup-policies/$name" "$work/policy"
        ;;
      404) api POST /internal/cleanup-policies "$work/policy" ;;
    esac
    case $status in
      2??) changed "cleanup policy $name: created or updated" ;;
      *)
        cleanup_policies=no
        log "cleanup policy $name: this Nexus cannot manage cleanup policies through its API (status $status); repositories are created without them, add them in the UI (Administration > Repository > Cleanup Policies)"
        ;;
    esac
  done 3< <(jq -r '.cleanupPolicies[]? | .name, tojson' "$config")
}

converge_repositories() {
  local format type name secret body compare
  while IFS=$'\t' read -r -u 3 format type name secret && IFS= read -r -u 3 body; do
    if [ "$cleanup_policies" = no ]; then body=$(jq -c 'del(.cleanup)' <<< "$body"); fi
    printf '%s\n' "$body" > "$work/desired"
    compare="$work/desired"
    if [ -n "$secret" ]; then
      aws_call secretsmanager get-secret-value --secret-id "$secret" --query SecretString --output text > "$work/secret" ||
        die "cannot read upstream credentials for $name from $secret: $(cat "$work/aws-error")"
      jq --slurpfile s "$work/secret" \
        'if ($s[0] | type) == "object" and ($s[0] | has("username") and has("accessToken"))
         then .httpClient.authentication = {type: "username", username: $s[0].username, password: $s[0].accessToken}
         else error("the secret must hold a JSON object with the keys username and accessToken") end' \
        <<< "$body" > "$work/desired" 2> /dev/null ||
        die "secret $secret must hold a JSON object with the keys username and accessToken"
      # Nexus never returns the password: compare everything else.
      jq 'del(.httpClient.authentication.password)' "$work/desired" > "$work/compare"
      compare="$work/compare"
    fi
    api GET "/v1/repositories/$format/$type/$name"
    case $status in
      404)
        api POST "/v1/repositories/$format/$type" "$work/desired"
        expect_success "creating $format $type repository $name"
        changed "repository $name: created"
        ;;
      200)
        if jq -e --slurpfile want "$compare" "$subset_jq"' subset($want[0]; .)' "$work/response" > /dev/null; then
          log "repository $name: up to date"
        else
          api PUT "/v1/repositories/$format/$type/$name" "$work/desired"
          expect_success "updating $format $type repository $name"
          changed "repository $name: updated"
        fi
        ;;
      *) die "reading repository $name failed with status $status" ;;
    esac
  done 3< <(jq -r '.repositories[] | ([.format, .type, .name, .credentialSecretArn // ""] | @tsv), (.body | tojson)' "$config")
}

converge_tasks() {
  local type name task
  while IFS=$'\t' read -r -u 3 type name && IFS= read -r -u 3 task; do
    printf '%s\n' "$task" > "$work/task"
    api GET "/v1/tasks?type=$type"
    if [ "$status" != 200 ]; then
      log "task \"$name\": cannot list $type tasks (status $status), schedule it in the UI (Administration > System > Tasks)"
      continue
    fi
    if jq -e --arg name "$name" 'any(.items[]?; .name == $name)' "$work/response" > /dev/null; then
      log "task \"$name\": already scheduled"
      continue
    fi
    api POST /v1/tasks "$work/task"
    case $status in
      2??)
        changed "task \"$name\": scheduled"
        continue
        ;;
    esac
    local rest_status=$status
    # timeZoneOffset: TaskComponent.asSchedule needs it (ZoneOffset.of, NPE without)
    jq -c '{action: "coreui_Task", method: "create", type: "rpc", tid: 1, data: [{
        enabled, name, typeId: .type, notificationCondition, properties,
        schedule: (if .frequency.schedule == "cron" then "advanced" else .frequency.schedule end),
        cronExpression: .frequency.cronExpression, timeZoneOffset: "+00:00" }]}' "$work/task" > "$work/extdirect"
    if extdirect "$work/extdirect"; then
      changed "task \"$name\": scheduled (through the UI's task API: the REST API cannot create tasks here, status $rest_status)"
    else
      log "task \"$name\": this Nexus edition or version cannot create $type tasks through the REST API (status $rest_status) or the UI's task API (status $status), schedule it in the UI (Administration > System > Tasks)"
    fi
  done 3< <(jq -r '.tasks[] | ([.type, .name] | @tsv), tojson' "$config")
}

wait_until_writable
ensure_admin_password_parameter
converge_admin_password
accept_eula
converge_realms
converge_anonymous
converge_cleanup_policies
converge_repositories
converge_tasks
log "done: $changes change(s)"
