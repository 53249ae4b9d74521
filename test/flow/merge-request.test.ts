import { readFileSync } from "node:fs";
import { describeWithTool } from "../support/conformance";
import { GITLAB_CI_LOCAL } from "../support/gitlab-ci-local";
import { appProject, buildCacheProblems, buildsIn, ciImageOf, efficiencyOf, expectedCiImage, failureOf, FULL_PIPELINE, tagEventsIn } from "./support/app-project";
import { fakeRegistry, type FlowPipeline, HOST } from "./support/flow-harness";
import { devPermissionTable, type PermissionTable } from "./support/flow-iam";

/*
 * Pipeline flow, merge-request sequence: a main push, a merge request opened with a source-only
 * change and updated with a dependency change, a retried build job, and an attacker's merge
 * request that points its build at the protected repository. gitlab-ci-local runs the generated
 * ECR template against the fake registry, which decides every pull and push with the IAM
 * policies of the synthesized dev stack.
 */
const PROTECTED_APP = "acme/dev/app/app";
const ROLE = (trust: string) => `arn:aws:iam::111111111111:role/acme-ci-dev-app-${trust}`;

describe("the fake registry decides with the synthesized IAM policies", () => {
  const table = JSON.parse(readFileSync(devPermissionTable(), "utf8")) as PermissionTable;
  const env = (trust: string) => ({ FAKE_IAM: devPermissionTable(), AWS_ROLE_ARN: ROLE(trust), FAKE_NOW: "2026-01-05T09:00:00Z" });
  const push = (trust: string, repo: string) => () => {
    const state = fakeRegistry.emptyState();
    state.local[`${HOST}/${repo}:sha-1`] = { manifest: JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", layers: [] }), kind: "commit" };
    fakeRegistry.docker(state, env(trust), ["push", `${HOST}/${repo}:sha-1`], "");
  };

  test("the table comes from the policies: the unprotected role pulls the protected repository and pushes only its own", () => {
    expect(table[ROLE("unprotected")]![PROTECTED_APP]).toEqual(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]);
    expect(table[ROLE("unprotected")]!["acme/dev/app/unprotected/app"]).toContain("ecr:PutImage");
    expect(table[ROLE("protected")]![PROTECTED_APP]).toContain("ecr:PutImage");
    expect(table[ROLE("protected")]!["acme/dev/web/app"]).toEqual([]);
  });

  test("a push is refused without the permission and accepted with it", () => {
    expect(push("unprotected", PROTECTED_APP)).toThrow(/AccessDeniedException: User: .*acme-ci-dev-app-unprotected is not authorized to perform: ecr:InitiateLayerUpload on resource: repository acme\/dev\/app\/app/);
    expect(push("protected", "acme/dev/web/app")).toThrow(/AccessDeniedException/);
    expect(push("protected", PROTECTED_APP)).not.toThrow();
    expect(push("unprotected", "acme/dev/app/unprotected/app")).not.toThrow();
  });
});

describeWithTool(GITLAB_CI_LOCAL, "pipeline flow: merge requests (shell executor, fake ECR with IAM)", () => {
  describeWithTool("rsync", "a merge request's pipelines", () => {
    const { project, inputs, commit } = appProject();
    const p: Record<string, FlowPipeline> = {};

    beforeAll(async () => {
      p.main = await project.pipeline("main: first push", { kind: "push", branch: "main" }, 0);
      project.repo.git("checkout", "-q", "-b", "feature-1");
      commit("feature-1", { "src/index.js": "console.log(2);\n" }, "source change");
      p.opened = await project.pipeline("MR !1 opened (source only)", { kind: "merge_request", iid: 1, branch: "feature-1" }, 1);
      commit("feature-1", { "package.json": '{ "name": "app", "version": "1.1.0" }\n' }, "dependency change");
      p.updated = await project.pipeline("MR !1 updated (dependencies)", { kind: "merge_request", iid: 1, branch: "feature-1" }, 1);
      p.retry = await project.pipeline("MR !1: build-app-image retried", { kind: "merge_request", iid: 1, branch: "feature-1" }, 2, { jobs: ["build-app-image"], retryOf: p.updated });
      commit("feature-1", { "package.json": '{ "name": "app", "version": "6.6.6" }\n' }, "attacker: new dependencies");
      // The merge request's own .gitlab-ci.yml points the build at the protected repository.
      p.attack = await project.pipeline("MR !1: build pointed at the protected repository", { kind: "merge_request", iid: 1, branch: "feature-1" }, 3, {
        jobs: ["build-app-image"],
        override: { PLATFORM_APP_REPOSITORY: `${HOST}/${PROTECTED_APP}`, PLATFORM_APP_REPOSITORY_TRUSTED: "" },
      });
    }, 240_000);
    afterAll(() => project.repo.remove());

    test("build caches: each build exports its BuildKit cache next to its image, in its own trust level's repository; protected builds import only protected caches", () => {
      const state = project.registry();
      expect(state.events.filter((e) => e.op === "cache-export").length).toBeGreaterThan(0);
      expect(buildCacheProblems(state, [p.main!, p.opened!, p.updated!])).toEqual([]);
    });

    test("every pipeline and the retry succeed, with every job of them", () => {
      for (const pipeline of [p.main!, p.opened!, p.updated!, p.retry!]) expect({ pipeline: pipeline.name, failed: failureOf(project, pipeline) }).toEqual({ pipeline: pipeline.name, failed: "" });
      expect(p.main!.run.passed).toEqual(FULL_PIPELINE);
      // The published template runs no review environment on merge requests: the builds and the project's jobs only.
      expect(p.opened!.run.passed).toEqual(FULL_PIPELINE);
      expect(p.retry!.run.passed).toEqual(["build-app-image"]);
    });

    test("a merge request that tries to push a protected repository fails: its role may not (IAM of the synthesized stack)", () => {
      expect(p.attack!.run.run.status).not.toBe(0);
      expect(p.attack!.run.passed).toEqual([]);
      expect(`${p.attack!.run.run.stdout}\n${p.attack!.run.run.stderr}`).toMatch(/AccessDeniedException: User: arn:aws:iam::111111111111:role\/acme-ci-dev-app-unprotected is not authorized to perform: ecr:[A-Za-z]+ on resource: repository acme\/dev\/app\/app/);
      const state = project.registry();
      expect(state.events.filter((e) => e.run === String(p.attack!.seq) && (e.op === "tag" || e.op === "push")).map((e) => e.repo ?? e.ref)).toEqual([]);
    });

    test("the image each job runs is the one built from its commit's inputs, in the unprotected repository for merge requests", () => {
      const state = project.registry();
      for (const pipeline of [p.main!, p.opened!, p.updated!]) {
        expect({ pipeline: pipeline.name, ...ciImageOf(project, state, pipeline) }).toEqual({ pipeline: pipeline.name, ref: expectedCiImage(pipeline), inputs: inputs[pipeline.sha]!.ci, commit: pipeline.sha });
      }
    });

    test("a retried build job builds nothing and pushes no new tag", () => {
      const state = project.registry();
      expect({ builds: buildsIn(state, p.retry!).length, tags: tagEventsIn(state, p.retry!).map((e) => e.tag ?? e.ref) }).toEqual({ builds: 0, tags: [] });
    });

    test("a source-only change reuses the protected content images; a dependency change builds with rootless BuildKit into the unprotected repository", () => {
      const state = project.registry();
      expect(inputs[p.opened!.sha]).toEqual(inputs[p.main!.sha]);
      expect(buildsIn(state, p.opened!)).toEqual([]);
      expect(tagEventsIn(state, p.opened!).filter((e) => e.op === "commit-image").length).toBe(2);
      const builds = buildsIn(state, p.updated!);
      expect(builds.map((b) => b.inputs).sort()).toEqual([inputs[p.updated!.sha]!.app, inputs[p.updated!.sha]!.ci].sort());
      expect(builds.every((b) => b.builder === "buildkit-rootless" && b.ref!.includes("/unprotected/"))).toBe(true);
    });

    test("merge requests push only the unprotected namespace, with the unprotected role", () => {
      const state = project.registry();
      for (const pipeline of [p.opened!, p.updated!, p.retry!]) {
        const events = state.events.filter((e) => e.run === String(pipeline.seq));
        expect({ pipeline: pipeline.name, pushedProtected: events.filter((e) => e.op === "tag" && !e.repo!.includes("/unprotected/")).map((e) => e.repo) }).toEqual({ pipeline: pipeline.name, pushedProtected: [] });
        expect(events.filter((e) => e.role).every((e) => e.role!.endsWith("-unprotected"))).toBe(true);
      }
      const efficiency = efficiencyOf(state, [p.main!, p.opened!, p.updated!]);
      console.log(`flow efficiency (merge requests): ${JSON.stringify(efficiency)}`);
      expect({ perRepository: efficiency.buildsPerDistinctInputsPerRepository, acrossTrustLevels: efficiency.buildsPerDistinctInputs }).toEqual({ perRepository: 1, acrossTrustLevels: 1 });
    });
  });
});
