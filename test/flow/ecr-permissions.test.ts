import { IMAGE_FLOW_FUNCTIONS } from "../../lib/gitlab/image-flow-script";
import { resourcesOf } from "../support/synth";
import { exampleStackJson } from "./support/example-json";

/*
 * The flow suite's fake registry enforces ECR's tag rules but not IAM, so a template that
 * calls an ECR API no role is granted passes there and fails on AWS (it did: the digest
 * check ran `aws ecr describe-images` without `ecr:DescribeImages`, its error was discarded,
 * and every re-run rebuilt and then failed on the immutable tag). This test closes that gap:
 * every `aws ecr` command the image-flow functions run maps to an IAM action that each
 * tenant CI role is granted (AWS CLI command -> API action, Amazon ECR API reference).
 */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  "get-login-password": "ecr:GetAuthorizationToken",
  "describe-images": "ecr:DescribeImages",
  "batch-get-image": "ecr:BatchGetImage",
  "put-image": "ecr:PutImage",
  "batch-check-layer-availability": "ecr:BatchCheckLayerAvailability",
};

const commands = [...new Set([...IMAGE_FLOW_FUNCTIONS.matchAll(/aws ecr ([a-z-]+)/g)].map((m) => m[1]!))];

describe("every ECR call of the image-flow functions is granted to the roles that run them", () => {
  const dev = exampleStackJson().get("dev")!;
  const roleActions = (construct: string): Set<string> =>
    new Set(
      Object.entries(resourcesOf(dev, "aws_iam_role_policy"))
        .filter(([id]) => id.startsWith(`platform_identity_${construct}_grants_policy`))
        .flatMap(([, p]) => (JSON.parse(p.policy as string) as { Statement: Array<{ Effect: string; Action: string[] }> }).Statement)
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => s.Action),
    );

  test("the functions call ECR at all, and only commands with a known IAM action", () => {
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((c) => ACTION_OF_COMMAND[c] === undefined)).toEqual([]);
  });

  test.each(["ci-app-protected", "ci-app-unprotected", "ci-web-protected", "ci-web-unprotected"])("%s may run every ECR command of the flow", (construct) => {
    const granted = roleActions(construct);
    expect(granted.size).toBeGreaterThan(0);
    // put-image is the protected promotion step (latest, release tags); unprotected roles push their own copies only.
    const needed = commands.filter((c) => c !== "put-image" || construct.endsWith("-protected")).map((c) => ACTION_OF_COMMAND[c]!);
    expect(needed.filter((a) => !granted.has(a))).toEqual([]);
  });

  test("the check would fail on a command no role is granted (describe-images)", () => {
    expect(roleActions("ci-app-protected").has(ACTION_OF_COMMAND["describe-images"]!)).toBe(false);
  });
});
