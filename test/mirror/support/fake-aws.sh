#!/bin/bash
# Test double of the AWS CLI for the Nexus provisioning script. State is a
# directory ($FAKE_AWS_DIR): parameters/<name with / as %> and
# secrets/<ARN with / and : as %> hold values; calls.log gets one line of
# arguments per call. Errors look like the real CLI's: exit 254 and
# "An error occurred (Code) when calling the Operation operation".
set -euo pipefail
state=$FAKE_AWS_DIR
printf '%s\n' "$*" >> "$state/calls.log"

fail() {
  printf '\nAn error occurred (%s) when calling the %s operation: %s\n' "$1" "$2" "$3" >&2
  exit 254
}

region="" words=() name="" value="" secret_id="" query="" output="" decrypt=no overwrite=no
while [ $# -gt 0 ]; do
  case $1 in
    --region) region=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --value) value=$2; shift 2 ;;
    --secret-id) secret_id=$2; shift 2 ;;
    --query) query=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --type | --description | --key-id) shift 2 ;;
    --with-decryption) decrypt=yes; shift ;;
    --overwrite) overwrite=yes; shift ;;
    --*) fail Usage any "unknown option $1" ;;
    *) words+=("$1"); shift ;;
  esac
done
[ "$region" = "$(cat "$state/region")" ] || fail InvalidRegion any "unexpected --region $region"

case "${words[*]}" in
  "ssm get-parameter")
    file="$state/parameters/${name//\//%}"
    [ -f "$file" ] || fail ParameterNotFound GetParameter ""
    [ "$decrypt $query $output" = "yes Parameter.Value text" ] || fail Usage GetParameter "use --with-decryption --query Parameter.Value --output text"
    cat "$file"
    printf '\n'
    ;;
  "ssm put-parameter")
    file="$state/parameters/${name//\//%}"
    if [ -f "$file" ] && [ "$overwrite" = no ]; then fail ParameterAlreadyExists PutParameter "The parameter already exists."; fi
    case $value in
      file://*) cat "${value#file://}" > "$file" ;;
      *) printf '%s' "$value" > "$file" ;;
    esac
    printf '{"Version": 1, "Tier": "Standard"}\n'
    ;;
  "secretsmanager get-secret-value")
    id=${secret_id//\//%}
    file="$state/secrets/${id//:/%}"
    [ -f "$file" ] || fail ResourceNotFoundException GetSecretValue "Secrets Manager can't find the specified secret."
    [ "$query $output" = "SecretString text" ] || fail Usage GetSecretValue "use --query SecretString --output text"
    cat "$file"
    printf '\n'
    ;;
  *) fail Unsupported "${words[*]}" "not supported by the fake" ;;
esac
