import { ACCEPTED_MEDIA_TYPES_OPTION } from "./ecr-media-types";

/**
 * Shell functions (POSIX sh, shellcheck-clean, busybox- and bash-compatible) that every script
 * putting a further tag on an existing image uses: the image-flow functions (`platform_tag`) and
 * the deploy functions (`platform_mark_deployed`).
 *
 * - `platform_ecr_retag <registry id> <repository> <digest> <tag>` puts a tag on an image of ECR
 *   by putting its manifest again (`aws ecr put-image`), byte for byte: a registry names a manifest
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
 * - `platform_still_head <what>` decides whether a moving tag (`latest`) may move to this pipeline's
 *   commit: it fails, saying why, on a branch pipeline whose branch has moved on from the commit (a
 *   retried or late job of an older pipeline: the newer commit's pipeline moves the tag, so the tag
 *   never moves back). It succeeds on other pipelines, and, with a warning, when the head is unknown.
 *   The head is asked of the checkout, not of the GitLab API: the branches API is not among the
 *   endpoints a CI/CD job token may call (GitLab docs, "CI/CD job token", job token access), while
 *   the runner fetches the branch ref with the job token anyway.
 */
const LINES = [
  "platform_ecr_retag() {",
  "  # $1 registry id (the account), $2 repository name, $3 the image's digest, $4 tag: puts the tag on that image by putting",
  "  # its manifest again, the exact bytes ECR holds, with its media type; fails unless the tag then names $3.",
  "  _rt_manifest=$(aws ecr batch-get-image " + ACCEPTED_MEDIA_TYPES_OPTION + ' --registry-id "$1" --repository-name "$2" --image-ids "imageDigest=$3" --query \'images[0].imageManifest\' --output text && printf x) || return 1',
  "  # The CLI prints the string and one newline; the sentinel x keeps command substitution from stripping the manifest's own.",
  '  _rt_manifest=${_rt_manifest%x}',
  '  _rt_manifest=${_rt_manifest%?}',
  "  _rt_type=$(aws ecr batch-get-image " + ACCEPTED_MEDIA_TYPES_OPTION + ' --registry-id "$1" --repository-name "$2" --image-ids "imageDigest=$3" --query \'images[0].imageManifestMediaType\' --output text) || return 1',
  '  if [ "$_rt_manifest" = None ] || [ "$_rt_type" = None ]; then echo "platform-retag: $2@$3 does not exist" >&2; return 1; fi',
  '  if ! aws ecr put-image --registry-id "$1" --repository-name "$2" --image-tag "$4" --image-manifest "$_rt_manifest" --image-manifest-media-type "$_rt_type" > /dev/null; then',
  '    echo "platform-retag: put-image of $2:$4 failed; checking whether the tag names $3 anyway (another job may have put it)"',
  "  fi",
  "  _rt_now=$(aws ecr batch-get-image " + ACCEPTED_MEDIA_TYPES_OPTION + ' --registry-id "$1" --repository-name "$2" --image-ids "imageTag=$4" --query \'images[0].imageId.imageDigest\' --output text 2>/dev/null) || _rt_now=missing',
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
  "platform_still_head() {",
  "  # $1 the moving tag (for messages): fails when this branch pipeline's branch has moved on from its commit.",
  '  if [ -z "${CI_COMMIT_BRANCH:-}" ]; then return 0; fi',
  '  if ! _sh_head=$(platform_branch_head "$CI_COMMIT_BRANCH"); then',
  '    echo "platform-retag: the checkout has no refs/remotes/origin/$CI_COMMIT_BRANCH (GIT_STRATEGY none?), so whether $CI_COMMIT_SHA is still the branch head is unknown; moving $1" >&2',
  "    return 0",
  "  fi",
  '  if [ "$_sh_head" != "$CI_COMMIT_SHA" ]; then',
  '    echo "platform-retag: $1 stays where it is: $CI_COMMIT_BRANCH has moved on to $_sh_head since this pipeline\'s commit $CI_COMMIT_SHA, and the newer commit\'s pipeline moves it"',
  "    return 1",
  "  fi",
  "}",
];

/** The functions, as lines of a script (included by the image-flow and deploy functions). */
export const RETAG_FUNCTION_LINES: readonly string[] = LINES;
