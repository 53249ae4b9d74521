import { type SecurityRule } from "../rule";
import { blocks, isTrue, type StackElement } from "../stack-model";
import { pullThroughCacheRepositories } from "./pull-through-cache";
import { violationsOf } from "./violations";

const DATA_TYPES = ["aws_ecr_repository", "aws_ecrpublic_repository", "aws_ebs_volume", "aws_instance"];

/** True when `lifecycle.prevent_destroy` is set. */
function preventsDestroy(e: StackElement): boolean {
  return blocks(e.config.lifecycle).some((l) => isTrue(l.prevent_destroy));
}

/** Why an element's data is not protected from destroy. */
function unprotectedData(e: StackElement): string[] {
  if (preventsDestroy(e)) return [];
  if (e.type !== "aws_instance") return ["lifecycle.prevent_destroy is not set"];
  // An instance's extra EBS volumes die with it unless delete_on_termination is false.
  return blocks(e.config.ebs_block_device)
    .filter((d) => d.delete_on_termination !== false && d.delete_on_termination !== "false")
    .map((d) => `its data volume ${typeof d.device_name === "string" ? d.device_name : "(ebs_block_device)"} is deleted with the instance (no prevent_destroy, delete_on_termination is not false)`);
}

/** DATA001: in production, registries and data volumes carry Terraform's prevent_destroy (pull-through cache repositories excepted, see {@link pullThroughCacheRepositories}). */
export const productionDestroyProtection: SecurityRule = {
  id: "DATA001",
  title: "Production data without destroy protection",
  rationale: "In production a renamed construct id or a careless destroy must not delete registries or the mirror's data volume; prevent_destroy makes such a plan fail.",
  severity: "error",
  resourceTypes: DATA_TYPES,
  fix: "add lifecycle { prevent_destroy = true } (ContainerRepository: preventDestroy: true; other constructs: resource.lifecycle or addOverride(\"lifecycle.prevent_destroy\", true))",
  // Pull-through cache repositories created up front hold copies of upstream images (the next pull fetches them
  // again) and have no force_delete, so Terraform cannot delete one that holds images: not checked.
  check: (model, options) => {
    if (!options.production) return [];
    const cache = pullThroughCacheRepositories(model);
    return violationsOf(model.resources(...DATA_TYPES).filter((e) => !cache.includes(e)), unprotectedData);
  },
};
