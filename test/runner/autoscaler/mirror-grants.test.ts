import { EcrPullThroughMirror } from "../../../lib/mirror/ecr-pull-through-mirror";
import { DockerAutoscalerFleet } from "../../../lib/runner/autoscaler/docker-autoscaler-fleet";
import { resourcesOf, synth, testStack, type SynthJson } from "../../support/synth";
import { autoscalerProps, protectedRunner } from "./fixtures";

type Statement = { Action: string | string[]; Resource: string | string[] };
const statementsOf = (json: SynthJson): Statement[] =>
  Object.values(resourcesOf(json, "aws_iam_role_policy")).flatMap((p) => (JSON.parse(p.policy as string) as { Statement: Statement[] }).Statement);
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const ECR_HOST = "222222222222.dkr.ecr.eu-west-1.amazonaws.com";

/** A fleet given only an ECR pull-through mirror (no repositories of its own), and nothing granted by hand. */
function withPullThroughMirror(runners = autoscalerProps().runners) {
  const stack = testStack();
  const rules = [
    { prefix: "docker-hub", upstream: "docker-hub" as const, upstreamRegistryUrl: "registry-1.docker.io" },
    { prefix: "gitlab", upstream: "gitlab-container-registry" as const, upstreamRegistryUrl: "registry.gitlab.com" },
  ];
  const mirror = new EcrPullThroughMirror(stack, "mirror", { registry: { pullThroughCacheRules: rules }, accountId: "222222222222", region: "eu-west-1" });
  const fleet = new DockerAutoscalerFleet(stack, "autoscaler", autoscalerProps({ mirror: mirror.endpoint, repositories: [], runners }));
  return { fleet, json: synth(stack).json };
}

describe("a DockerAutoscalerFleet given an ECR pull-through mirror grants itself what the mirror needs", () => {
  const { fleet, json } = withPullThroughMirror();

  test("the manager role may pull and import on the mirror's repositories (no hand grant); it runs unprotected jobs, so it may not create them", () => {
    const onMirror = statementsOf(json).filter((s) => list(s.Resource).some((r) => r.startsWith("arn:aws:ecr:eu-west-1:222222222222:repository/")));
    const actions = onMirror.flatMap((s) => list(s.Action));
    expect(actions).toEqual(expect.arrayContaining(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage"]));
    expect(actions).not.toContain("ecr:CreateRepository");
    expect(onMirror.flatMap((s) => list(s.Resource)).sort()).toEqual(
      expect.arrayContaining(["arn:aws:ecr:eu-west-1:222222222222:repository/docker-hub/*", "arn:aws:ecr:eu-west-1:222222222222:repository/gitlab/*"]),
    );
    expect(statementsOf(json).some((s) => list(s.Action).includes("ecr:GetAuthorizationToken"))).toBe(true);
  });

  test("a manager whose runners all take protected jobs may also create the cache repositories (the first pull of an image)", () => {
    const { json: protectedJson } = withPullThroughMirror([protectedRunner]);
    const actions = statementsOf(protectedJson)
      .filter((s) => list(s.Resource).some((r) => r.startsWith("arn:aws:ecr:eu-west-1:222222222222:repository/")))
      .flatMap((s) => list(s.Action));
    expect(actions).toEqual(expect.arrayContaining(["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]));
  });

  test("jobs get credHelpers ecr-login for the mirror's registry host (pulls through its prefixes authenticate)", () => {
    const environment = fleet.runnerConfig.runners.map((r) => r.environment ?? {});
    environment.forEach((e) => expect(JSON.parse(e.DOCKER_AUTH_CONFIG!)).toEqual({ credHelpers: { [ECR_HOST]: "ecr-login" } }));
  });
});
