import { existsSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildIamModel, roleAllows } from "../../attack-path/iam-model";
import { exampleStackJson, sourceHash } from "./example-json";

/**
 * The ECR actions the fake registry decides (Amazon ECR API reference, "Actions"): what a pull,
 * a push (`docker push` uploads layers, then PutImage) and the image-flow functions' calls need.
 */
export const ECR_ACTIONS = [
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchCheckLayerAvailability",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
  "ecr:DescribeImages",
] as const;

/** Role ARN -> repository name -> the ECR actions its policies allow there. */
export type PermissionTable = Record<string, Record<string, string[]>>;

/**
 * The example dev environment's CI roles and what each may do on each of the environment's
 * repositories, decided by the IAM evaluator (test/support/iam-evaluator.ts) over the policies of
 * the synthesized dev stack (`exampleStackJson`). The table is cached in the temp directory
 * under a hash of the sources.
 * @returns the path of the JSON table (the fake registry's `FAKE_IAM`)
 */
export function devPermissionTable(): string {
  const file = path.join(tmpdir(), `flow-iam-${sourceHash([__filename])}.json`);
  if (existsSync(file)) return file;
  const model = buildIamModel(new Map([["dev", exampleStackJson().get("dev")!]]));
  const table: PermissionTable = {};
  for (const role of model.roles.filter((r) => /-(un)?protected$/.test(r.name))) {
    table[role.arn] = Object.fromEntries(model.repositories.map((repo) => [repo.name, ECR_ACTIONS.filter((action) => roleAllows(role, action, repo.arn))]));
  }
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(table));
  renameSync(partial, file);
  return file;
}
