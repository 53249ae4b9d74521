import { ACCEPTED_MEDIA_TYPES_OPTION } from "./ecr-media-types";
import { RETAG_FUNCTION_LINES } from "./retag-script";
/**
 * The shell functions of the image-reuse templates' build jobs (POSIX sh, shellcheck-clean,
 * busybox-compatible: the docker CLI image is Alpine). They make every build job idempotent
 * and content-addressed:
 *
 * 1. `platform_inputs_hash` hashes the image's inputs in the job: the Dockerfile, everything it reads
 *    from the build context, the `.dockerignore` files, extra paths, the base image's inputs hash and
 *    the build platform (`uname -m`: builds pass no `--platform`, so BuildKit builds for the builder's
 *    own). `platform_inputs_sources` reads the Dockerfile as its frontend does (Dockerfile reference:
 *    "COPY", "ADD", "RUN --mount", "Escape"/line continuation, ".dockerignore file"): continued lines
 *    (`\` at the end) are joined first, the JSON form `COPY ["src", …, "dest"]` is parsed; `COPY`/`ADD`
 *    sources and `RUN --mount=type=bind` sources are context files (bind is the default mount type;
 *    `source` defaults to the root of `from`, which defaults to the build context, so a bind mount
 *    without a source reads the whole context); stage copies (`--from=<stage>`, `from=<stage>`) and
 *    here-documents (`<<EOF`) are not. The body of a here-document (`RUN`/`COPY`/`ADD`, also under `ONBUILD`, not in
 *    the JSON form: `<<EOF`, `<<-EOF`, `<<"EOF"`, several on one line) is skipped up to its terminator line, as
 *    BuildKit's parser reads it (moby/buildkit frontend/dockerfile/parser/parser.go, `heredocsFromLine`; `<< EOF` with a
 *    space is no here-document there either). What it cannot read fails closed: an image by tag in `--from=`
 *    or a bind mount's `from=`, an `ADD` of a URL or Git repository without `--checksum=`, or a source
 *    named by a build argument (`COPY ${SRC} …`), puts the
 *    commit into the hash (the image is rebuilt for every commit; the job says why). A listed source
 *    missing from the context fails the job with its name (the build would fail on it too) instead of
 *    hashing without it. Per path (sorted, `.git` left out) go in: its type (directory, so empty ones count,
 *    regular file, or other), a regular file's owner-executable bit (what Git records; the other permission
 *    bits follow the checkout's umask, not the commit) and content, and a symlink's target string plus what
 *    it resolves to (a file's content; a directory is not walked). BuildKit follows a symlink named as a
 *    source (dockerfile2llb convert_copy.go sets `FollowSymlinks: true`, solver/pb/ops.proto "followSymlink
 *    resolves symlinks in src") and copies a symlink inside a copied directory as a link, so sources are
 *    walked with `find -H` (POSIX; busybox find has it): the source itself is followed, the links inside
 *    are listed as links (a link loop inside a copied directory is no error, as it is none for COPY).
 *    BuildKit resolves a followed link inside the build context; a source that leads out of it (a symlink
 *    to an absolute path, or `../` past the context's root: `readlink -f`, GNU and busybox) is read there,
 *    not here, so it makes the hash per commit. File times do not go in, so the same commit always gives
 *    the same hash and any change of an input gives a new one.
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
 * pushes an OCI image index by default);
 * other registries through `docker buildx imagetools inspect|create` (docker buildx
 * reference). Builds use the pool's builder, `$PLATFORM_IMAGE_BUILDER`: `docker` (socket
 * binding or dind) or `buildkit-rootless` (`buildctl-daemonless.sh build --frontend
 * dockerfile.v0 … --output type=image,name=…,push=true`, moby/buildkit README "Rootless mode"
 * and "Building a Dockerfile with buildctl"). The content build itself, `platform_build`, is
 * defined in build-cache.ts (BuildKit with a registry cache); the commit image here is a
 * two-line Dockerfile that needs no cache.
 */

import { IMAGE_BUILDER_VARIABLE } from "../runner/image-builder";

/** Variables the functions read besides their arguments. */
export const IMAGE_FLOW_ENVIRONMENT = {
  /** `ecr` or `gitlab`: how tags are looked up and copied. */
  registryKind: "PLATFORM_REGISTRY_KIND",
  /** The runner pool's builder (`IMAGE_BUILDERS` of runner/image-builder): `docker` (default), `buildkit-rootless`, or `none` (builds fail with a message). */
  builder: IMAGE_BUILDER_VARIABLE,
} as const;

const LINES = [
  "# Image flow functions, generated by gitlab-ci-platform.",
  ...RETAG_FUNCTION_LINES,
  "platform_inputs_sources() {",
  "  # Prints the build-context sources Dockerfile $1 reads, one a line: COPY/ADD sources and RUN --mount=type=bind",
  "  # sources (bind is the default type; the source defaults to the context's root). Lines are read as BuildKit's",
  "  # parser reads them: parser directives (escape, syntax), CR/LF endings, comment and empty lines inside a continued",
  "  # instruction dropped, continued lines joined; then the JSON form is parsed; stage copies (--from=<stage>) and",
  "  # here-documents are not context files. What",
  "  # the hash cannot read is written to file $2 (default: nowhere), one a line: an image by tag in --from= or",
  "  # a bind mount's from=, an ADD of a URL or Git repository without --checksum, a source named by a build argument.",
  "  awk -v unpinned=\"${2:-/dev/null}\" '",
  "    function external(ref, what) {",
  "      if ((tolower(ref) in stage) || ref ~ /^[0-9]+$/ || ref ~ /@sha256:[0-9a-f]+$/) return",
  '      print what " names an image by tag, not by digest" > unpinned',
  "    }",
  "    function source(src, what) {",
  '      if (src ~ /\\$/) { print what " " src " names a build argument" > unpinned; return }',
  '      sub(/^\\/+/, "", src); sub(/\\/+$/, "", src)',
  '      print (src == "" ? "." : src)',
  "    }",
  "    function mount(spec,  f, m, j, eq, key, val, type, src, from) {",
  '      gsub(/\\"/, "", spec)',
  '      type = "bind"; src = "."; from = ""',
  '      m = split(spec, f, ",")',
  "      for (j = 1; j <= m; j++) {",
  '        eq = index(f[j], "="); key = eq ? substr(f[j], 1, eq - 1) : f[j]; val = eq ? substr(f[j], eq + 1) : ""',
  '        if (key == "type") type = val; else if (key == "source" || key == "src") src = val; else if (key == "from") from = val',
  "      }",
  '      if (type != "bind") return',
  '      if (from != "") { external(from, "RUN --mount=" spec); return }',
  "      source(src, \"RUN --mount=\" spec)",
  "    }",
  "    function heredocs(w, n, i,  name, chomp) {",
  "      # The body of each here-document word (<<EOF, <<-EOF, <<\"EOF\", 3<<EOF) follows the instruction up to a",
  "      # line equal to its name (leading tabs stripped for <<-): body lines are not instructions.",
  "      for (; i <= n; i++) {",
  "        if (!match(w[i], /^[0-9]*<</)) continue",
  "        name = substr(w[i], RLENGTH + 1); chomp = 0",
  "        if (name ~ /^-/) { chomp = 1; name = substr(name, 2) }",
  '        gsub(/["\\047]/, "", name)',
  '        if (name == "" || name ~ /</) continue',
  "        doc[++docs] = name; chomped[docs] = chomp",
  "      }",
  "    }",
  "    function handle(line,  n, w, i, rest, k, a, cmd, from, sum) {",
  '      sub(/^[ \\t]+/, "", line)',
  "      n = split(line, w, /[ \\t]+/)",
  "      cmd = toupper(w[1]); i = 2",
  '      if (cmd == "ONBUILD") { cmd = toupper(w[2]); i = 3 }',
  '      if (cmd == "RUN" || cmd == "COPY" || cmd == "ADD") { for (k = i; k <= n && w[k] ~ /^--/; k++); if (w[k] !~ /^\\[/) heredocs(w, n, k) }',
  '      if (toupper(w[1]) == "ONBUILD") return',
  '      if (cmd == "FROM") { for (i = 2; i < n; i++) if (toupper(w[i]) == "AS") stage[tolower(w[i + 1])] = 1; return }',
  '      if (cmd == "RUN") { for (i = 2; i <= n && w[i] ~ /^--/; i++) if (w[i] ~ /^--mount=/) mount(substr(w[i], 9)); return }',
  '      if (cmd != "COPY" && cmd != "ADD") return',
  '      from = ""; sum = 0',
  "      for (i = 2; i <= n && w[i] ~ /^--/; i++) { if (w[i] ~ /^--from=/) from = substr(w[i], 8); if (w[i] ~ /^--checksum=/) sum = 1 }",
  '      if (from != "") { external(from, cmd " --from=" from); return }',
  "      # The arguments as written (a JSON-form name keeps its inner blanks): the line without its first i - 1 words.",
  "      rest = line",
  '      for (k = 1; k < i; k++) sub(/^[^ \\t]+[ \\t]+/, "", rest)',
  '      if (rest ~ /^\\[/ && rest ~ /\\\\/) print cmd " " rest " has an escape in its JSON form" > unpinned',
  "      k = 0",
  "      if (rest ~ /^\\[/) {",
  "        while (match(rest, /\"[^\"]*\"/)) { a[++k] = substr(rest, RSTART + 1, RLENGTH - 2); rest = substr(rest, RSTART + RLENGTH) }",
  "      } else {",
  "        for (; i <= n; i++) a[++k] = w[i]",
  "      }",
  "      for (i = 1; i < k; i++) {",
  "        if (a[i] ~ /^<</) continue",
  '        if (a[i] ~ /^[A-Za-z][A-Za-z0-9+.-]*:\\/\\// || a[i] ~ /^git@/) { if (!sum) print cmd " " a[i] " has no --checksum" > unpinned; continue }',
  "        source(a[i], cmd)",
  "      }",
  "    }",
  "    function directive(line,  key, val) {",
  "      # A parser directive (# escape=, # syntax=, # check=) before any instruction, comment or empty line; returns 0",
  "      # for anything else, which ends the directives (as the DirectiveParser of BuildKit does).",
  "      if (line !~ /^[ \\t]*#[ \\t]*[A-Za-z][A-Za-z0-9]*[ \\t]*=/) return 0",
  '      sub(/^[ \\t]*#[ \\t]*/, "", line)',
  '      key = line; sub(/[ \\t]*=.*$/, "", key); key = tolower(key)',
  '      val = line; sub(/^[^=]*=[ \\t]*/, "", val); sub(/[ \\t]+$/, "", val)',
  '      if (key == "escape") { if (val == "`" || val == "\\\\") esc = val; else print "the escape directive " val " is not one BuildKit accepts" > unpinned; return 1 }',
  '      if (key == "syntax") { if (val !~ /^(docker\\.io\\/)?docker\\/dockerfile(-upstream)?(:[^@]*)?(@sha256:[0-9a-f]+)?$/) print "the syntax directive names another frontend (" val "), whose parser this reader does not follow" > unpinned; return 1 }',
  '      return key == "check"',
  "    }",
  "    function uncontinued(s) {",
  "      # s without its line-continuation token (the escape character and blanks at the end, not itself escaped),",
  '      # or "\\n" when s does not continue (lineContinuationRegex of the BuildKit parser).',
  '      if (esc == "`") { if (s ~ /^`[ \\t]*$/) return ""; if (match(s, /[^`]`[ \\t]*$/)) return substr(s, 1, RSTART); return "\\n" }',
  '      if (s ~ /^\\\\[ \\t]*$/) return ""; if (match(s, /[^\\\\]\\\\[ \\t]*$/)) return substr(s, 1, RSTART); return "\\n"',
  "    }",
  '    BEGIN { next_doc = 1; esc = "\\\\"; directives = 1 }',
  "    # BuildKit reads lines without their trailing CR/LF, and the first without a UTF-8 byte-order mark.",
  '    { sub(/\\r+$/, "") }',
  '    NR == 1 && substr($0, 1, 3) == "\\357\\273\\277" { $0 = substr($0, 4) }',
  "    next_doc <= docs { body = $0; if (chomped[next_doc]) sub(/^\\t+/, \"\", body); if (body == doc[next_doc]) next_doc++; next }",
  "    directives { if (directive($0)) next; directives = 0 }",
  "    # Comment lines, and empty lines inside a continued instruction, are dropped (BuildKit warns about the",
  "    # latter); a continued line is joined to the next as it is, without a blank in between.",
  "    /^[ \\t]*#/ { next }",
  "    continued && /^[ \\t]*$/ { next }",
  '    { part = uncontinued($0); if (part != "\\n") { buf = buf part; continued = 1; next } }',
  '    { continued = 0; docs = 0; next_doc = 1; handle(buf $0); buf = "" }',
  '    END { if (continued) handle(buf) }',
  "  ' \"$1\"",
  "}",
  "platform_inputs_entry() {",
  "  # Prints what the build takes from path $1, as lines of the inputs hash: a symlink's target string (COPY follows a",
  "  # symlink named as a source and copies one inside a directory as a link), then what the path resolves to: a",
  "  # directory, or a regular file with its owner's executable bit (what Git records) and the SHA-256 of its content.",
  '  if [ -h "$1" ]; then printf \'link %s -> %s\\n\' "$1" "$(readlink "$1")"; fi',
  '  if [ -d "$1" ]; then',
  "    printf 'dir %s\\n' \"$1\"",
  '  elif [ -f "$1" ]; then',
  '    case $(stat -L -c %a "$1") in *[1357][0-7][0-7]) _x=x ;; *) _x=- ;; esac',
  "    printf 'file %s ' \"$_x\"",
  '    sha256sum "$1"',
  "  else",
  "    printf 'other %s\\n' \"$1\"",
  "  fi",
  "}",
  "platform_inputs_inside() {",
  "  # Fails when source $1 leads out of build context $2 (its physical path): a symlink to an absolute path, or a path",
  "  # that resolves outside $2. BuildKit resolves such a link inside the context, so the job cannot read what it copies.",
  '  if [ -h "$1" ]; then case $(readlink "$1") in /*) return 1 ;; esac; fi',
  '  _real=$(readlink -f "$1") || return 1',
  '  case $_real/ in "$2"/*) return 0 ;; esac',
  "  return 1",
  "}",
  "platform_inputs_hash() {",
  '  # $1 Dockerfile, $2 build context, $3 base image inputs hash ("" for none), then extra input paths.',
  "  # Fails when the Dockerfile or a source it reads from the context does not exist (the build would fail",
  "  # on it; a hash without it would name other inputs). Extra paths may be absent. The .dockerignore files",
  "  # and the build platform (the builder's native one: builds pass no --platform) are inputs too. What the",
  "  # hash cannot read (see platform_inputs_sources) makes it per commit: such an image is rebuilt for every commit.",
  '  _df=$1 _ctx=$2 _base=$3',
  "  shift 3",
  '  [ -f "$_df" ] || { echo "platform-image: the Dockerfile $_df does not exist" >&2; return 1; }',
  '  _files=$(mktemp) _sources=$(mktemp) _unpinned=$(mktemp)',
  '  platform_inputs_sources "$_df" "$_unpinned" > "$_sources" || { echo "platform-image: cannot read the sources of $_df" >&2; rm -f "$_files" "$_sources" "$_unpinned"; return 1; }',
  "  printf '%s\\n' \"$_df\" > \"$_files\"",
  "  for _ignore in \"$_ctx/.dockerignore\" \"$_df.dockerignore\"; do if [ -f \"$_ignore\" ]; then printf '%s\\n' \"$_ignore\" >> \"$_files\"; fi; done",
  '  _missing="" _root=$(cd "$_ctx" && pwd -P)',
  "  while IFS= read -r _src; do",
  '    [ -n "$_src" ] || continue',
  "    # Globs in COPY sources expand here, as the builder expands them; IFS is empty so a name with",
  "    # spaces (JSON form) stays one word. find -H follows a source that is a symlink, as BuildKit's COPY",
  "    # does, and lists the symlinks inside it as links.",
  "    # shellcheck disable=SC2086",
  "    (IFS=''; for _path in \"$_ctx\"/$_src; do platform_inputs_inside \"$_path\" \"$_root\" || printf '%s leads out of the build context through a symlink\\n' \"$_src\" >> \"$_unpinned\"; done",
  "      find -H \"$_ctx\"/$_src ! -path '*/.git' ! -path '*/.git/*') >> \"$_files\" 2>/dev/null || { _missing=$_src; break; }",
  '  done < "$_sources"',
  '  rm -f "$_sources"',
  '  if [ -n "$_missing" ]; then',
  '    echo "platform-image: $_df copies $_missing, which does not exist in the build context $_ctx: add it or correct the Dockerfile" >&2',
  '    rm -f "$_files" "$_unpinned"',
  "    return 1",
  "  fi",
  '  for _extra in "$@"; do',
  "    # shellcheck disable=SC2086",
  "    find -H $_extra ! -path '*/.git' ! -path '*/.git/*' >> \"$_files\" 2>/dev/null || true",
  "  done",
  '  _per_commit=0',
  '  if [ -s "$_unpinned" ]; then',
  '    _per_commit=1',
  '    while IFS= read -r _why; do echo "platform-image: $_df: $_why, which the inputs hash cannot read; the image is rebuilt for every commit (name the image by digest, or give ADD --checksum=)" >&2; done < "$_unpinned"',
  "  fi",
  "  {",
  "    printf 'dockerfile %s\\nbase %s\\nplatform %s\\n' \"$_df\" \"$_base\" \"$(uname -m)\"",
  "    if [ \"$_per_commit\" = 1 ]; then printf 'commit %s\\n' \"${CI_COMMIT_SHA:-}\"; fi",
  '    LC_ALL=C sort -u "$_files" | while IFS= read -r _file; do platform_inputs_entry "$_file"; done',
  "  } | sha256sum | cut -c1-40",
  '  rm -f "$_files" "$_unpinned"',
  "}",
  "platform_repository_name() { _ref=${1%:*}; printf '%s' \"${_ref#*/}\"; }",
  "platform_digest() {",
  "  # Prints the digest image $1 (<repository>:<tag>) names; fails when the tag does not exist.",
  '  if [ "${PLATFORM_REGISTRY_KIND:-ecr}" = ecr ]; then',
  "    # batch-get-image needs only ecr:BatchGetImage, which every role that pulls has; it answers a",
  "    # missing tag with an empty image list (printed as None), not with an error.",
  "    _digest=$(aws ecr batch-get-image " + ACCEPTED_MEDIA_TYPES_OPTION + " --repository-name \"$(platform_repository_name \"$1\")\" --image-ids \"imageTag=${1##*:}\" --query 'images[0].imageId.imageDigest' --output text 2>/dev/null) || return 1",
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
