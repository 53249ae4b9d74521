import { exampleConfig } from "../../stacks/example-config";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { toolboxFlow } from "./support/deploy-project";
import { type FlowPipeline, type RegistryState } from "./support/flow-harness";
import { setProcessEnv } from "../support/env";

/*
 * The image deploy jobs start from, in the pipeline flow suite: the example's toolbox project runs
 * the CI file the platform commits for it, with its environment-scoped variables, against the fake
 * registry enforcing IAM across environments. Its default-branch pipeline builds the toolbox in dev
 * and promotes it by digest to staging and production, where `latest` (what every tenant's
 * `$PLATFORM_TOOLBOX_URL:latest` deploy jobs run) then names it. Whether a retried promote job
 * may move `latest` back is deploy-toolbox-still-head.test.ts.
 */
const ACCOUNT = { dev: "111111111111", staging: "111111111111", production: "222222222222" } as const;

describeWithTool(GITLAB_CI_LOCAL, "deploy flow: the toolbox image reaches every deploying environment", () => {
  describeWithTool("rsync", "acme/toolbox on main (shell executor, fake ECR, IAM across environments)", () => {
    const { project, remove } = toolboxFlow(exampleConfig, "acme/toolbox", "FROM alpine:3.20\nRUN echo deploy tools\n");
    let restoreEnv = () => {};
    let main: FlowPipeline;

    beforeAll(async () => {
      // Every image is an OCI image index, as buildx pushes with provenance attestations: batch-get-image must accept it.
      restoreEnv = setProcessEnv({ FAKE_ENVIRONMENTS: "dev,staging,production", FAKE_PROMOTION: "staging=dev,production=staging", FAKE_IMAGE_INDEX: "1" });
      main = await project.pipeline("toolbox main: push", { kind: "push", branch: "main" }, 0);
    }, 300_000);
    afterAll(() => {
      restoreEnv();
      remove();
    });

    const state = (): RegistryState => project.registry();
    const digestOf = (repo: string, tag: string) => Object.entries(state().repos[repo]?.images ?? {}).find(([, i]) => i.tags.includes(tag))?.[0];

    test("fault: nothing filled the toolbox repository deploy jobs run in staging and production, and an image index (buildx's default) read as missing to batch-get-image; now the toolbox pipeline builds once and promotes it there", () => {
      expect({ status: main.run.run.status, out: main.run.run.status === 0 ? "" : main.run.run.stdout.slice(-3000) }).toEqual({ status: 0, out: "" });
      expect(main.run.passed).toEqual(expect.arrayContaining(["build-toolbox-image", "promote-toolbox-staging", "promote-toolbox-production"]));
      const built = digestOf("acme/dev/toolbox/toolbox", `sha-${main.sha}`)!;
      expect(built).toMatch(/^sha256:/);
      for (const env of ["staging", "production"] as const) {
        const repo = `acme/${env}/toolbox/toolbox`;
        expect({ env, commit: digestOf(repo, `sha-${main.sha}`), latest: digestOf(repo, "latest") }).toEqual({ env, commit: built, latest: built });
      }
      expect(state().events.filter((e) => e.op === "build").length).toBe(1);
    });

    test("only the toolbox project's protected role of each environment writes there", () => {
      const writes = state().events.filter((e) => e.op === "tag" && e.repo !== undefined && !e.repo.startsWith("acme/dev/"));
      expect(writes.length).toBeGreaterThan(0);
      for (const e of writes) {
        const env = e.repo!.split("/")[1] as "staging" | "production";
        expect({ repo: e.repo, role: e.role, job: e.job }).toEqual({ repo: e.repo, role: `arn:aws:iam::${ACCOUNT[env]}:role/acme-ci-${env}-toolbox-protected`, job: `promote-toolbox-${env}` });
      }
    });
  });
});
