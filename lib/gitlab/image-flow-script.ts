import { INPUTS_HASH_FUNCTION_LINES } from "./image-inputs-script";
import { PLATFORM_VARIABLES } from "./platform-variables";
import { RETAG_FUNCTION_LINES } from "./retag-script";
/**
 * The shell functions of the image-reuse templates' build jobs (POSIX sh, shellcheck-clean,
 * busybox-compatible: the docker CLI image is Alpine). They make every build job idempotent
 * and content-addressed:
 *
 * 1. `platform_inputs_hash` (image-inputs-script.ts) hashes the image's inputs in the job: the same commit
 *    always gives the same hash and any change of an input gives a new one.
 * 2. `platform_image` names the image of a commit by a per-commit tag (`sha-<commit>` on
 *    protected pipelines, `MR-<iid>-<commit>` on merge requests): when that tag exists the
 *    job reuses it (re-runs, retries, schedules); else it builds the content image
 *    `inputs-<hash>` only when that tag is missing (a change of inputs, or an auto-cancelled
 *    pipeline that never pushed), then writes the commit image: `FROM <content image>` plus
 *    two labels, a new manifest that shares every layer. So no tag piles up on a reused
 *    image (ECR refuses more than 1,000 tags per image). An image with `reuse: false` has no
 *    content image: a commit without its commit image builds straight into the commit tag, and no
 *    `inputs-<hash>` is read or pushed, so one an earlier commit with the same inputs (or another
 *    merge request) pushed neither stands in for the build nor makes its push fail (the content tag
 *    is immutable and a rebuild has another digest: ECR would refuse it with
 *    ImageTagAlreadyExistsException).
 *    An image built FROM another image of the pipeline (`baseImage`) names its base through
 *    `platform_base`: the base's content image; when retention has expired that tag, the base's
 *    commit image of this pipeline (the default scheme keeps the newest 50 `inputs-` tags but the
 *    newest 100 `sha-` tags, so a re-run or retry of an old commit finds its commit images and not
 *    always their content images; the commit image is FROM the content image plus two labels, the
 *    same layers); when that has expired too (a build job retried long after its pipeline), the
 *    base's content image built again from its inputs and pushed under its content tag (a base with
 *    `reuse: false`: its commit image of this pipeline first, built again into that commit tag). A
 *    build job never depends on a tag that retention may have expired while the tags that lead to it
 *    are kept.
 *    Pipelines race (a release tag while main builds, a schedule overlapping a push, two merge
 *    requests with the same new inputs): both find no image, both build, and the second push of the
 *    immutable `inputs-<hash>` or per-commit tag is refused (ImageTagAlreadyExistsException). Then the
 *    job reads the tag again and continues with the image that won: it was built from the same inputs
 *    (content tag) or the same commit (commit tag); with `reuse: false` only the commit tag is pushed, so
 *    only pipelines of one commit race. `resource_group` cannot serialise this: GitLab queues jobs by a
 *    group name fixed when the pipeline is created (GitLab docs, "Resource group": jobs of one group
 *    run one at a time, across pipelines), but the inputs hash is computed in the job, so a group per
 *    project or image would serialise every build and still not cover a merge request against main.
 * 3. `platform_tag` puts further tags (`latest`, a release tag) on the commit image: a
 *    registry-side copy of the manifest (`platform_ecr_retag`: the exact bytes with their media
 *    type, see retag-script.ts; or `docker buildx imagetools create --prefer-index=false` of the
 *    image by digest, which copies a single manifest unchanged instead of writing a new index around
 *    it: docker buildx reference, "imagetools create"), skipped when the tag already names that
 *    digest, and read back afterwards: a tag that then names another digest fails the job. An
 *    immutable tag naming another digest fails the job with a clear message. A moving tag moves
 *    only forward: on a branch pipeline it moves only when this pipeline's commit is still the
 *    branch's head (`platform_branch_head`, the ref the runner fetched at job start), so a retried
 *    or late build job of an older pipeline leaves `latest` on the newer commit's image.
 *
 * Builds trust no local image: the base image and the commit image's `FROM` are named by digest
 * (`platform_pinned`, `<repository>@sha256:...`) and every build passes `--pull`, so on a daemon
 * shared through the docker socket a tag another job put on a local image is never built upon
 * (docker build reference: `--pull` "Always attempt to pull all referenced images").
 *
 * Registry calls: ECR `DescribeImages` / `BatchGetImage` / `PutImage` through the AWS CLI
 * (aws ecr batch-get-image, put-image: AWS CLI v2 command reference; every batch-get-image passes
 * `--accepted-media-types` with the index and manifest types, `ECR_ACCEPTED_MEDIA_TYPES`, as buildx
 * pushes an OCI image index by default, through the one `platform_batch_get` of retag-script.ts with
 * its fallback to the documented manifest types);
 * other registries through `docker buildx imagetools inspect|create` (docker buildx
 * reference). Builds use the pool's builder, `$PLATFORM_IMAGE_BUILDER`: `docker` (socket
 * binding or dind) or `buildkit-rootless` (`buildctl-daemonless.sh build --frontend
 * dockerfile.v0 … --output type=image,name=…,push=true`, moby/buildkit README "Rootless mode"
 * and "Building a Dockerfile with buildctl"). The content build itself, `platform_build`, is
 * defined in build-cache.ts (BuildKit with a registry cache); the commit image here is a
 * two-line Dockerfile that needs no cache.
 */

/** Variables the functions read besides their arguments. */
export const IMAGE_FLOW_ENVIRONMENT = {
  /** `ecr` or `gitlab`: how tags are looked up and copied. */
  registryKind: "PLATFORM_REGISTRY_KIND",
  /** The runner pool's builder (`IMAGE_BUILDERS` of runner/image-builder, which sets it on the runner): `docker` (default), `buildkit-rootless`, or `none` (builds fail with a message). */
  builder: PLATFORM_VARIABLES.imageBuilder,
} as const;

const LINES = [
  "# Image flow functions, generated by gitlab-ci-platform.",
  ...RETAG_FUNCTION_LINES,
  ...INPUTS_HASH_FUNCTION_LINES,
  "platform_repository_name() { _ref=${1%:*}; printf '%s' \"${_ref#*/}\"; }",
  "platform_digest() {",
  "  # Prints the digest image $1 (<repository>:<tag>) names; fails when the tag does not exist.",
  '  if [ "${PLATFORM_REGISTRY_KIND:-ecr}" = ecr ]; then',
  "    # batch-get-image needs only ecr:BatchGetImage, which every role that pulls has; it answers a",
  "    # missing tag with an empty image list (printed as None), not with an error.",
  "    # platform_batch_get (retag-script.ts) falls back to the documented manifest types when ECR refuses the index types.",
  '    _dg_host=${1%%/*}',
  "    _digest=$(platform_batch_get \"${_dg_host%%.*}\" \"$(platform_repository_name \"$1\")\" \"imageTag=${1##*:}\" 'images[0].imageId.imageDigest' 2>/dev/null) || return 1",
  '    case $_digest in sha256:*) printf \'%s\\n\' \"$_digest\" ;; *) return 1 ;; esac',
  "  else",
  "    docker buildx imagetools inspect \"$1\" --format '{{.Manifest.Digest}}' 2>/dev/null",
  "  fi",
  "}",
  "platform_builder() {",
  '  if [ "${PLATFORM_IMAGE_BUILDER:-docker}" = none ]; then',
  '    echo "platform-image: this runner pool offers no image builder (PLATFORM_IMAGE_BUILDER=none); run build jobs on a pool with docker or buildkit-rootless" >&2',
  "    return 1",
  "  fi",
  "}",
  "platform_pinned() {",
  "  # Prints image $1 (<repository>:<tag>) by digest, <repository>@sha256:...; fails when the tag does not exist.",
  "  # Builds name their FROM, base and cache images this way: a tag a job put on an image of a shared",
  "  # docker daemon never stands in for what the registry holds.",
  '  _pin=$(platform_digest "$1") || return 1',
  "  printf '%s@%s' \"${1%:*}\" \"$_pin\"",
  "}",
  "platform_commit_image() {",
  "  # $1 content image, $2 commit image to push, $3 inputs hash: FROM $1 plus labels (a new manifest, the same layers).",
  "  # A pipeline of the same commit may push $2 first (its tag is immutable): then this job continues with that image.",
  "  platform_builder",
  '  _src=$(platform_pinned "$1") || { echo "platform-image: $1 does not exist" >&2; return 1; }',
  "  _dir=$(mktemp -d)",
  "  printf 'FROM %s\\nLABEL platform.inputs=%s platform.commit=%s\\n' \"$_src\" \"$3\" \"$CI_COMMIT_SHA\" > \"$_dir/Dockerfile\"",
  '  if [ "${PLATFORM_IMAGE_BUILDER:-docker}" = buildkit-rootless ]; then',
  '    buildctl-daemonless.sh build --frontend dockerfile.v0 --local "context=$_dir" --local "dockerfile=$_dir" --output "type=image,name=$2,push=true" || platform_pushed_meanwhile "$2" || { rm -rf "$_dir"; return 1; }',
  "  else",
  '    docker build --pull --tag "$2" "$_dir"',
  '    docker push "$2" || platform_pushed_meanwhile "$2" || { rm -rf "$_dir"; return 1; }',
  "  fi",
  '  rm -rf "$_dir"',
  "}",
  "platform_pushed_meanwhile() {",
  "  # After a failed push of the immutable tag $1: succeeds when the tag exists now (a concurrent pipeline pushed it from the",
  "  # same inputs or commit, and ECR refused this push with ImageTagAlreadyExistsException): the job goes on with that image.",
  '  if _meanwhile=$(platform_digest "$1"); then',
  '    echo "platform-image: $1 was pushed by a concurrent pipeline meanwhile ($_meanwhile); continuing with that image"',
  "    return 0",
  "  fi",
  "  return 1",
  "}",
  "platform_content() {",
  '  # $1 content image of this trust level, $2 the same in the protected repository ("" in protected pipelines):',
  "  # prints $2 when it exists, else $1 (unprotected pipelines may build on protected images, never the reverse).",
  "  # The protected repository comes first: any merge request may push inputs-<hash> to the unprotected",
  "  # repository, so an unprotected image never stands in for inputs the protected repository has built.",
  '  if [ -n "$2" ] && platform_digest "$2" > /dev/null; then',
  "    printf '%s' \"$2\"",
  "  else",
  "    printf '%s' \"$1\"",
  "  fi",
  "}",
  "platform_base() {",
  '  # $1 content image of this trust level (<repository>:inputs-<hash>; "" when the base is built without reuse, reuse: false),',
  '  # $2 the same in the protected repository ("" in protected pipelines, and without reuse), $3 this pipeline\'s commit image of',
  "  # the same image (its own build job wrote or reused it), $4 Dockerfile, $5 context, $6 cache image, $7 protected cache",
  '  # repository ("" for none), $8 its own base, pinned ("" for none), $9 inputs hash. Sets PLATFORM_BASE to the image a build',
  "  # FROM it names, by digest: the content image of these inputs (protected repository first); when retention has expired it",
  "  # (content tags are kept fewer than commit tags), this pipeline's commit image of it, which is FROM that content image with",
  "  # two labels (the same layers: what the base's jobs run); when both have expired (a job retried long after its pipeline),",
  "  # the content image built again from its inputs and pushed under its content tag. A base built without reuse has no",
  "  # content image: its commit image of this pipeline is the base, and is what is built again (no content tag is read or claimed).",
  '  if [ -n "$1" ]; then',
  '    _bref=$(platform_content "$1" "$2")',
  '    if PLATFORM_BASE=$(platform_pinned "$_bref"); then',
  '      echo "platform-image: base image $_bref ($PLATFORM_BASE)"',
  "      return 0",
  "    fi",
  "  fi",
  '  if PLATFORM_BASE=$(platform_pinned "$3"); then',
  '    if [ -n "$1" ]; then',
  '      echo "platform-image: base image $1 no longer exists (expired by retention); building on $3 ($PLATFORM_BASE), the commit image FROM it (the same layers)"',
  "    else",
  '      echo "platform-image: base image $3 ($PLATFORM_BASE), built without reuse of content images"',
  "    fi",
  "    return 0",
  "  fi",
  '  _btarget=${1:-$3}',
  '  echo "platform-image: base image: $_btarget does not exist any more (expired by retention); building it again from its inputs"',
  "  # platform_build reads the protected cache of the image it builds from CACHE_TRUSTED_REPOSITORY: the base's, for this build.",
  '  _btrusted=${CACHE_TRUSTED_REPOSITORY:-}',
  "  CACHE_TRUSTED_REPOSITORY=$7",
  '  if platform_build "$4" "$5" "$_btarget" "$6" "$8" "$9"; then',
  "    CACHE_TRUSTED_REPOSITORY=$_btrusted",
  "  else",
  "    CACHE_TRUSTED_REPOSITORY=$_btrusted",
  "    # A concurrent pipeline may have pushed the same tag meanwhile (ImageTagAlreadyExistsException): go on with it.",
  '    platform_pushed_meanwhile "$_btarget" || { echo "platform-image: building base image $_btarget failed" >&2; return 1; }',
  "  fi",
  '  PLATFORM_BASE=$(platform_pinned "$_btarget") || { echo "platform-image: base image $_btarget does not exist after its build" >&2; return 1; }',
  "}",
  "platform_image() {",
  '  # $1 commit image, $2 content image ("" without reuse), $3 protected content image ("" in protected pipelines and without',
  '  # reuse), $4 Dockerfile, $5 context, $6 cache image, $7 base image: by digest from platform_base, or a tag ("" for none),',
  "  # $8 reuse content images of earlier commits (1/0). Without reuse (0) the image is built straight into its commit tag: no",
  "  # content tag is read or pushed, so an inputs-<hash> an earlier commit (or another pipeline) pushed neither stands in for",
  "  # this build nor makes its push fail.",
  '  if _digest=$(platform_digest "$1"); then',
  '    echo "platform-image: reused $1 ($_digest)"',
  "    return 0",
  "  fi",
  '  _content=$2',
  '  if [ "$8" = 1 ]; then _content=$(platform_content "$2" "$3"); fi',
  '  if [ "$8" = 1 ] && platform_digest "$_content" > /dev/null; then',
  '    echo "platform-image: reused content image $_content"',
  '    platform_commit_image "$_content" "$1" "$PLATFORM_INPUTS_HASH"',
  '    echo "platform-image: wrote $1"',
  "    return 0",
  "  fi",
  "  # The base comes pinned from platform_base; a tag is pinned here.",
  '  case $7 in',
  '    "" | *@sha256:*) _base=$7 ;;',
  '    *) _base=$(platform_pinned "$7") || { echo "platform-image: base image $7 does not exist" >&2; return 1; } ;;',
  "  esac",
  '  if [ "$8" != 1 ]; then',
  '    echo "platform-image: building $1 (reuse: false, no content image)"',
  "    # A concurrent pipeline of the same commit may push the commit tag first (ImageTagAlreadyExistsException): go on with it.",
  '    if ! platform_build "$4" "$5" "$1" "$6" "$_base" "$PLATFORM_INPUTS_HASH"; then',
  '      platform_pushed_meanwhile "$1" || { echo "platform-image: building $1 failed" >&2; return 1; }',
  "    fi",
  '    echo "platform-image: wrote $1"',
  "    return 0",
  "  fi",
  '  echo "platform-image: building $2"',
  "  # A concurrent pipeline's push of the same inputs-<hash> wins and this job goes on with it (built from the same inputs).",
  '  if ! platform_build "$4" "$5" "$2" "$6" "$_base" "$PLATFORM_INPUTS_HASH"; then',
  '    platform_pushed_meanwhile "$2" || { echo "platform-image: building $2 failed" >&2; return 1; }',
  "  fi",
  '  platform_commit_image "$2" "$1" "$PLATFORM_INPUTS_HASH"',
  '  echo "platform-image: wrote $1"',
  "}",
  "platform_tag() {",
  "  # $1 image, $2 tag to put on it, $3 1 when the tag moves (mutable), 0 when it is immutable. The copy keeps the digest",
  "  # (checked afterwards); a moving tag moves only forward: on a branch pipeline, only when this pipeline's commit is",
  "  # still the branch's head, so a retried or late job of an older pipeline does not move it back.",
  '  _want=$(platform_digest "$1") || { echo "platform-image: $1 does not exist" >&2; return 1; }',
  '  _target="${1%:*}:$2"',
  '  if _have=$(platform_digest "$_target"); then',
  '    if [ "$_have" = "$_want" ]; then echo "platform-image: $_target already names $_want"; return 0; fi',
  '    if [ "$3" != 1 ]; then',
  '      echo "platform-image: $_target names $_have, not $_want; the tag is immutable: delete it or push another tag" >&2',
  "      return 1",
  "    fi",
  '    if ! platform_still_head "$_target"; then return 0; fi',
  "  fi",
  '  if [ "${PLATFORM_REGISTRY_KIND:-ecr}" = ecr ]; then',
  '    _host=${1%%/*}',
  '    platform_ecr_retag "${_host%%.*}" "$(platform_repository_name "$1")" "$_want" "$2" || return 1',
  "  else",
  "    # By digest, and --prefer-index=false: a single manifest is copied unchanged, not wrapped in a new index.",
  '    docker buildx imagetools create --prefer-index=false --tag "$_target" "${1%:*}@$_want"',
  '    _now=$(platform_digest "$_target") || _now=missing',
  '    if [ "$_now" != "$_want" ]; then echo "platform-image: $_target names $_now after the copy, not $_want: a re-tag must keep the digest" >&2; return 1; fi',
  "  fi",
  '  echo "platform-image: tagged $_target ($_want)"',
  "}",
];

/** The functions, as one script (a `before_script` entry of the build jobs). */
export const IMAGE_FLOW_FUNCTIONS: string = LINES.join("\n") + "\n";
