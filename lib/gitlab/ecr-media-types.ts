/**
 * The manifest media types the CI scripts accept from ECR's `BatchGetImage`: OCI image index, OCI
 * image manifest, Docker manifest list, Docker image manifest v2 (OCI Image Spec, "Media Types";
 * Docker "Image Manifest V2, Schema 2"). `docker buildx build` pushes an OCI image index by default
 * (provenance attestations are on since buildx 0.10, Docker docs "Provenance attestations"), and
 * BatchGetImage returns a manifest only in a media type listed in `acceptedMediaTypes` (AWS CLI v2
 * `aws ecr batch-get-image --accepted-media-types`, a space-separated list; with a digest ECR
 * converts nothing, Amazon ECR User Guide, "Container image manifest format support"): without the
 * index types, a lookup or re-tag of such an image finds no image.
 *
 * What is documented, and what is not: the ECR API reference (BatchGetImage, `acceptedMediaTypes`)
 * and the AWS CLI reference list only `application/vnd.docker.distribution.manifest.v1+json`,
 * `application/vnd.docker.distribution.manifest.v2+json` and `application/vnd.oci.image.manifest.v1+json`
 * as valid values. ECR stores manifest lists and image indexes (multi-architecture images, shipped
 * in 2020 for aws/containers-roadmap#505; Amazon ECR User Guide, "Pushing a multi-architecture
 * image"), and AWS's own ECR client, awslabs/amazon-ecr-containerd-resolver (`ecr/base.go`,
 * `supportedImageMediaTypes`), sends both index types in `AcceptedMediaTypes`: so ECR accepts them,
 * though the API reference does not say so, and this was not tried against ECR here. Every
 * `batch-get-image` of the CI scripts therefore goes through one function, `platform_batch_get`
 * (retag-script.ts: the deploy lookup, the re-tag `platform_ecr_retag` and the image flow's
 * lookup), which falls back when ECR refuses them (see {@link ECR_DOCUMENTED_MEDIA_TYPES}).
 */
export const ECR_ACCEPTED_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;

/** The AWS CLI option naming {@link ECR_ACCEPTED_MEDIA_TYPES}, for `aws ecr batch-get-image` in the CI scripts. */
export const ACCEPTED_MEDIA_TYPES_OPTION = `--accepted-media-types ${ECR_ACCEPTED_MEDIA_TYPES.join(" ")}`;

/**
 * The image manifest types the ECR API reference documents for `acceptedMediaTypes` (without the
 * legacy Docker schema 1). `platform_batch_get` retries with these, and says so, when ECR answers the
 * index types with `InvalidParameterException`: an image index is then reported as not found, with
 * the fix (push single-platform images, `docker buildx build --provenance=false`).
 */
export const ECR_DOCUMENTED_MEDIA_TYPES = ["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"] as const;

/** The AWS CLI option naming {@link ECR_DOCUMENTED_MEDIA_TYPES}. */
export const DOCUMENTED_MEDIA_TYPES_OPTION = `--accepted-media-types ${ECR_DOCUMENTED_MEDIA_TYPES.join(" ")}`;
