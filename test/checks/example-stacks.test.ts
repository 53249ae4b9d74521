import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { App, Aspects } from "cdktf";
import { SecurityRulePack } from "../../lib/checks/pack";
import { SUPPRESSION_METADATA_TYPE } from "../../lib/checks/suppressions";
import { buildPlatform } from "../../stacks/app";
import { exampleConfig } from "../../stacks/example-config";
import { annotationsOf } from "../support/annotations";

function withApp<T>(fn: (app: App, outdir: string) => T): T {
  const outdir = mkdtempSync(path.join(tmpdir(), "checks-example-"));
  try {
    return fn(new App({ outdir, stackTraces: false }), outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("the example stacks and the security rule pack", () => {
  test("every stack carries the pack and synthesizes with no finding and no suppression", () => {
    withApp((app, outdir) => {
      const stacks = buildPlatform(app, exampleConfig);
      const all = [...stacks.accounts.values(), ...stacks.environments.values(), ...stacks.gitlabShared.values()];
      for (const stack of all) expect(Aspects.of(stack).all.filter((a) => a instanceof SecurityRulePack)).toHaveLength(1);
      app.synth(); // would throw on an error finding
      const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { annotations: unknown[] }> };
      // Not findings: the loud acknowledgements of reasoned opt-ins (the build runner shared between
      // the projects, sharedBetweenProjects; the mirror's credentialedAnonymousPull).
      const sharedBuild = (env: string) => ({
        constructPath: `${env}/platform/gitlab`,
        level: "@cdktf/warn",
        message: expect.stringMatching(/^runner build: sharedBetweenProjects \(acme\/app, acme\/web and acme\/toolbox have the same Maintainers.*\): protected jobs of acme\/app, acme\/web, acme\/toolbox are root on one docker daemon$/),
      });
      expect(Object.fromEntries(Object.entries(manifest.stacks).map(([name, s]) => [name, s.annotations]))).toEqual({
        "account-nonprod": [],
        "account-prod": [],
        dev: [sharedBuild("dev")],
        staging: [sharedBuild("staging")],
        production: [
          {
            constructPath: "production/platform/mirror",
            level: "@cdktf/warn",
            message: expect.stringMatching(/^anonymous pull through the credentialed Docker Hub proxy is on: .*reason given: the Docker Hub token's access is Public Repo Read-only/),
          },
          sharedBuild("production"),
        ],
        "gitlab-shared": [],
      });
      expect(app.node.findAll().filter((c) => c.node.metadata.some((m) => m.type === SUPPRESSION_METADATA_TYPE))).toEqual([]);
    });
  });

  test("only the production environment is checked as production (DATA001)", () => {
    withApp((app) => {
      const stacks = buildPlatform(app, exampleConfig);
      const unprotected = (stack: Parameters<typeof annotationsOf>[0]) =>
        new EbsVolume(stack, "scratch", { availabilityZone: "eu-central-1a", size: 10, encrypted: true });
      for (const name of ["dev", "production"]) unprotected(stacks.environments.get(name)!);
      unprotected(stacks.accounts.get("prod")!);
      expect(() => app.synth()).toThrow(/\[production\/scratch\] DATA001 Production data without destroy protection/);
      const findings = annotationsOf(app).filter((a) => !a.message.startsWith("anonymous pull through the credentialed Docker Hub proxy") && !a.message.startsWith("runner build: sharedBetweenProjects"));
      expect(findings.map((a) => `${a.level} ${a.path} ${a.message.slice(0, 7)}`)).toEqual(["error production/scratch DATA001"]);
    });
  });
});
