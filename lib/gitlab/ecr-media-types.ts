/**
 * The manifest media types the CI scripts accept from ECR's `BatchGetImage`: OCI image index, OCI
 * image manifest, Docker manifest list, Docker image manifest v2 (OCI Image Spec, "Media Types";
 * Docker "Image Manifest V2, Schema 2"). `docker buildx build` pushes an OCI image index by default
 * (provenance attestations are on since buildx 0.10, Docker docs "Provenance attestations"), and
 * BatchGetImage returns a manifest only in a media type listed in `acceptedMediaTypes` (ECR API
 * reference, BatchGetImage; AWS CLI v2 `aws ecr batch-get-image --accepted-media-types`, a
 * space-separated list): without the index types, a lookup or re-tag of such an image finds no image.
 */
export const ECR_ACCEPTED_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;

/** The AWS CLI option naming {@link ECR_ACCEPTED_MEDIA_TYPES}, for `aws ecr batch-get-image` in the CI scripts. */
export const ACCEPTED_MEDIA_TYPES_OPTION = `--accepted-media-types ${ECR_ACCEPTED_MEDIA_TYPES.join(" ")}`;
