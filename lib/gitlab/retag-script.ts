import { ACCEPTED_MEDIA_TYPES_OPTION, DOCUMENTED_MEDIA_TYPES_OPTION } from "./ecr-media-types";

/**
 * Shell functions (POSIX sh, shellcheck-clean, busybox- and bash-compatible) that every script
 * putting a further tag on an existing image uses: the image-flow functions (`platform_tag`) and
 * the deploy functions (`platform_mark_deployed`, and their image lookup).
 *
 * - `platform_batch_get <registry id> <repository> <image id> <query>` is every `aws ecr
 *   batch-get-image` of these scripts (one implementation): it asks with the index and manifest types
 *   (`ECR_ACCEPTED_MEDIA_TYPES`); the index types are not in the BatchGetImage API reference (see
 *   ecr-media-types.ts), so when ECR answers them with `InvalidParameterException` it says so and
 *   retries with the documented manifest types (`ECR_DOCUMENTED_MEDIA_TYPES`), which find every
 *   single-platform image. Any other error of the call is printed and fails the function.
 * - `platform_ecr_retag <registry id> <repository> <digest> <tag>` puts a tag on an image of ECR
 *   by putting its manifest again (`aws ecr put-image`), byte for byte, reading it (and reading the
 *   tag back) through `platform_batch_get`, so it falls back on refused media types as the lookup does: a registry names a manifest
 *   by the sha256 of its bytes, so a manifest sent with one byte more is another image with another
 *   digest (ECR User Guide, "Retagging an image"; awsdocs/amazon-ecr-user-guide#51: a trailing newline
 *   changes the digest; aws/aws-cli#6234: a `\r` makes a new image). The manifest is read by digest
 *   (`aws ecr batch-get-image --image-ids imageDigest=…`, no manifest translation, which ECR applies to
 *   pulls by tag only) as the AWS CLI's text output prints a string, followed by one newline
 *   (awscli/text.py, `_format_text`: `stream.write(str(item)); stream.write('\n')`): the function captures it
 *   with a sentinel and strips exactly that newline, so a manifest's own bytes, trailing newlines
 *   included, are sent unchanged. The media type goes along (`--image-manifest-media-type` from the
 *   response's `imageManifestMediaType`; PutImage: required for a manifest without a `mediaType`
 *   field). After the call, successful or not (a concurrent job may have put the same tag: ECR then
 *   answers ImageAlreadyExistsException), the tag is read back: the function fails loudly unless it
 *   names the digest.
 * - `platform_branch_head <branch>` prints the commit the branch pointed to when the runner fetched
 *   the job's repository: GitLab hands a branch pipeline's job the refspec
 *   `+refs/heads/<branch>:refs/remotes/origin/<branch>` (gitlab-org/gitlab
 *   `app/presenters/ci/build_runner_presenter.rb`, `refspec_for_branch`, with a shallow clone as without), so
 *   `refs/remotes/origin/<branch>` of the checkout is the branch's head at job start, whatever commit
 *   the job checked out. Read with `git` where the job image has it, else from the ref files (loose ref,
 *   then `packed-refs`); fails when the checkout has neither (`GIT_STRATEGY: none`).
 * - `platform_token_claim <name>` prints a string claim of the job's ID token: the JWT in
 *   `$AWS_WEB_IDENTITY_TOKEN_FILE`, the file the AWS CLI assumes the job's role with (its payload is
 *   the second dot-separated part, base64url without padding, RFC 7519 and RFC 7515 section 2).
 *   GitLab signs the claims (`ref_type` "branch" or "tag", `ref` the branch or tag name without
 *   `refs/heads/`, `pipeline_source`, `sha`: GitLab docs, "OpenID Connect (OIDC) Authentication
 *   Using ID Tokens", token payload; gitlab-org/gitlab `lib/gitlab/ci/jwt.rb` and `jwt_v2.rb`), and
 *   STS verifies that signature when the job's role is assumed with the same file, so a claim read
 *   there is GitLab's, whatever the job's CI/CD variables say. A claim holding a quote or backslash
 *   (an escaped JSON string) is not read.
 * - `platform_still_head <what>` decides whether a moving tag (`latest`) may move to this pipeline's
 *   commit: it fails, saying why, on a branch pipeline whose branch has moved on from the commit (a
 *   retried or late job of an older pipeline: the newer commit's pipeline moves the tag, so the tag
 *   never moves back), and when the checkout does not have the branch's ref (`GIT_STRATEGY` is a
 *   CI/CD variable too: `none` must not switch the check off). It succeeds on tag and merge-request
 *   pipelines. The branch is the ID token's (`ref` with `ref_type` "branch", `pipeline_source` not
 *   "merge_request_event"), not `CI_COMMIT_BRANCH`: GitLab lets pipeline variables override
 *   predefined variables (GitLab docs, "CI/CD variable precedence"), and the platform forbids
 *   pipeline variables (`ci_pipeline_variables_minimum_override_role = no_one_allowed`) only in the
 *   projects it creates (templates, toolbox), not in the tenant projects, whose build jobs move
 *   `latest` too. Without an ID token (a job with no AWS role, which cannot tag in ECR) it falls back
 *   to `CI_COMMIT_BRANCH`. The commit compared is `CI_COMMIT_SHA`, the one whose image the tag would
 *   name: another value names another commit's image, which moves only when that commit is the
 *   head. The head is asked of the checkout, not of the GitLab API: the branches API is not among the
 *   endpoints a CI/CD job token may call (GitLab docs, "CI/CD job token", job token access), while
 *   the runner fetches the branch ref with the job token anyway.
 */
const LINES = [
  "platform_batch_get() {",
  "  # $1 registry id, $2 repository name, $3 imageTag=<tag> or imageDigest=<digest>, $4 query: prints the query's text output.",
  "  _bg_err=$(mktemp)",
  "  if aws ecr batch-get-image " + ACCEPTED_MEDIA_TYPES_OPTION + " --registry-id \"$1\" --repository-name \"$2\" --image-ids \"$3\" --query \"$4\" --output text 2> \"$_bg_err\"; then",
  "    rm -f \"$_bg_err\"",
  "    return 0",
  "  fi",
  "  _bg_msg=$(cat \"$_bg_err\")",
  "  rm -f \"$_bg_err\"",
  "  case $_bg_msg in",
  "    *InvalidParameterException*)",
  "      echo \"platform-ecr: ECR refused the image index media types for $2 ($_bg_msg); retrying with the image manifest types the BatchGetImage API reference documents: an image index is then not found (push single-platform images: build with buildx --provenance=false)\" >&2",
  "      aws ecr batch-get-image " + DOCUMENTED_MEDIA_TYPES_OPTION + " --registry-id \"$1\" --repository-name \"$2\" --image-ids \"$3\" --query \"$4\" --output text",
  "      ;;",
  "    *)",
  "      printf 'platform-ecr: ECR BatchGetImage of %s %s failed: %s\\n' \"$2\" \"$3\" \"$_bg_msg\" >&2",
  "      return 1",
  "      ;;",
  "  esac",
  "}",
  "platform_ecr_retag() {",
  "  # $1 registry id (the account), $2 repository name, $3 the image's digest, $4 tag: puts the tag on that image by putting",
  "  # its manifest again, the exact bytes ECR holds, with its media type; fails unless the tag then names $3.",
  '  _rt_manifest=$(platform_batch_get "$1" "$2" "imageDigest=$3" \'images[0].imageManifest\' && printf x) || return 1',
  "  # The CLI prints the string and one newline; the sentinel x keeps command substitution from stripping the manifest's own.",
  '  _rt_manifest=${_rt_manifest%x}',
  '  _rt_manifest=${_rt_manifest%?}',
  '  _rt_type=$(platform_batch_get "$1" "$2" "imageDigest=$3" \'images[0].imageManifestMediaType\') || return 1',
  '  if [ "$_rt_manifest" = None ] || [ "$_rt_type" = None ]; then echo "platform-retag: $2@$3 does not exist" >&2; return 1; fi',
  '  if ! aws ecr put-image --registry-id "$1" --repository-name "$2" --image-tag "$4" --image-manifest "$_rt_manifest" --image-manifest-media-type "$_rt_type" > /dev/null; then',
  '    echo "platform-retag: put-image of $2:$4 failed; checking whether the tag names $3 anyway (another job may have put it)"',
  "  fi",
  '  _rt_now=$(platform_batch_get "$1" "$2" "imageTag=$4" \'images[0].imageId.imageDigest\') || _rt_now=missing',
  '  if [ "$_rt_now" != "$3" ]; then',
  '    echo "platform-retag: $2:$4 names $_rt_now after the re-tag, not $3: a re-tag must keep the digest (the registry stored other manifest bytes, or another job moved the tag)" >&2',
  "    return 1",
  "  fi",
  "}",
  "platform_branch_head() {",
  "  # Prints the commit branch $1 pointed to when the runner fetched this job's repository (refs/remotes/origin/$1);",
  "  # fails when the checkout does not have that ref.",
  "  # The job's directory is CI_PROJECT_DIR; the current directory is asked when that has no checkout.",
  '  for _bh_dir in "${CI_PROJECT_DIR:-.}" .; do',
  '    [ -e "$_bh_dir/.git" ] || continue',
  '    if command -v git > /dev/null 2>&1 && git -C "$_bh_dir" rev-parse -q --verify "refs/remotes/origin/$1^{commit}" 2> /dev/null; then return 0; fi',
  '    if [ -f "$_bh_dir/.git/refs/remotes/origin/$1" ]; then cat "$_bh_dir/.git/refs/remotes/origin/$1"; return 0; fi',
  '    if [ -f "$_bh_dir/.git/packed-refs" ] && awk -v ref="refs/remotes/origin/$1" \'$2 == ref { print $1; found = 1 } END { exit !found }\' "$_bh_dir/.git/packed-refs"; then return 0; fi',
  "  done",
  "  return 1",
  "}",
  "platform_token_claim() {",
  "  # $1 a claim name: prints that string claim of the job's ID token, the file the AWS CLI assumes the job's role with",
  "  # ($AWS_WEB_IDENTITY_TOKEN_FILE, written from the job's id_tokens); fails when there is no token or no such plain string claim.",
  '  [ -s "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ] || return 1',
  '  _tc_payload=$(cut -d. -f2 < "$AWS_WEB_IDENTITY_TOKEN_FILE" | tr \'_-\' \'/+\')',
  '  case $((${#_tc_payload} % 4)) in 2) _tc_payload="$_tc_payload==" ;; 3) _tc_payload="$_tc_payload=" ;; esac',
  '  _tc_value=$(printf \'%s\' "$_tc_payload" | base64 -d 2> /dev/null | sed -n \'s/.*"\'"$1"\'"[[:space:]]*:[[:space:]]*"\\([^"\\\\]*\\)".*/\\1/p\')',
  '  [ -n "$_tc_value" ] || return 1',
  "  printf '%s\\n' \"$_tc_value\"",
  "}",
  "platform_still_head() {",
  "  # $1 the moving tag (for messages): fails when this branch pipeline's branch has moved on from its commit, or when",
  "  # that cannot be told. The branch comes from the job's ID token (GitLab signs its ref_type, ref and pipeline_source",
  "  # claims; STS checks the same token when the job assumes its role), not from CI_COMMIT_BRANCH, which a pipeline",
  "  # variable overrides. Only a job without an ID token (it then has no role to tag with) falls back to the variable;",
  "  # a token that cannot be read keeps the tag where it is.",
  '  if _sh_type=$(platform_token_claim ref_type); then',
  '    _sh_source=$(platform_token_claim pipeline_source) || _sh_source=""',
  '    if [ "$_sh_type" != branch ] || [ "$_sh_source" = merge_request_event ]; then return 0; fi',
  '    if ! _sh_branch=$(platform_token_claim ref); then',
  '      echo "platform-retag: $1 stays where it is: the job\'s ID token names no plain branch (ref claim)" >&2',
  "      return 1",
  "    fi",
  '  elif [ -s "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ]; then',
  '    echo "platform-retag: $1 stays where it is: the job\'s ID token has no plain ref_type claim to tell its pipeline\'s branch by" >&2',
  "    return 1",
  "  else",
  '    _sh_branch=${CI_COMMIT_BRANCH:-}',
  '    if [ -z "$_sh_branch" ]; then return 0; fi',
  '    echo "platform-retag: the job has no ID token; taking the branch from CI_COMMIT_BRANCH ($_sh_branch)"',
  "  fi",
  '  if ! _sh_head=$(platform_branch_head "$_sh_branch"); then',
  '    echo "platform-retag: $1 stays where it is: the checkout has no refs/remotes/origin/$_sh_branch (GIT_STRATEGY none?), so whether $CI_COMMIT_SHA is still the head of $_sh_branch is unknown; keep the default GIT_STRATEGY (fetch or clone) on this job" >&2',
  "    return 1",
  "  fi",
  '  if [ "$_sh_head" != "$CI_COMMIT_SHA" ]; then',
  '    echo "platform-retag: $1 stays where it is: $_sh_branch has moved on to $_sh_head since this pipeline\'s commit $CI_COMMIT_SHA, and the newer commit\'s pipeline moves it"',
  "    return 1",
  "  fi",
  "}",
];

/** The functions, as lines of a script (included by the image-flow and deploy functions). */
export const RETAG_FUNCTION_LINES: readonly string[] = LINES;
