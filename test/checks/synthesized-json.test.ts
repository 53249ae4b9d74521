import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, Aspects, type IAspect, TerraformStack, Testing } from "cdktf";
import { type IConstruct } from "constructs";
import { SecurityRulePack } from "../../lib/checks/pack";
import { checkSynthesizedJson } from "../../lib/checks/synthesized-json";
import { UniquePhysicalNames } from "../../lib/checks/unique-names";
import { annotationsOf, findingsOf } from "../support/annotations";

/** A stack with a provider and one EBS volume (unencrypted unless `encrypted`). */
function volumeStack(app: App, id: string, encrypted?: boolean): TerraformStack {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, "aws", { region: "eu-central-1" });
  new EbsVolume(stack, "volume", { availabilityZone: "eu-central-1a", size: 10, ...(encrypted === undefined ? {} : { encrypted }) });
  return stack;
}

/** Runs `fn` with an App writing to a fresh directory, removed afterwards. */
function withApp<T>(fn: (app: App, outdir: string) => T): T {
  const outdir = mkdtempSync(path.join(tmpdir(), "checks-json-"));
  try {
    return fn(new App({ outdir, stackTraces: false }), outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The cdk.tf.json synth wrote for a stack. */
function written(outdir: string, stack: string): string {
  return readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8");
}

/** An aspect that encrypts every EBS volume: a change made after the pack's aspect visited the stack. */
class EncryptVolumes implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof EbsVolume) node.encrypted = true;
  }
}

describe("the rule pack reads the JSON synth writes", () => {
  test("app.synth() resolves each stack once for the pack, the duplicate-name check and cdk.tf.json together", () => {
    const resolutions = jest.spyOn(TerraformStack.prototype, "toTerraform");
    try {
      withApp((app) => {
        const names = new UniquePhysicalNames({ account: "111111111111" });
        for (const id of ["one", "two"]) {
          const stack = volumeStack(app, id, true);
          Aspects.of(stack).add(new SecurityRulePack());
          Aspects.of(stack).add(names);
        }
        resolutions.mockClear();
        app.synth();
        // Before: the pack and the name check each resolved every stack in their aspects, and synth once more (6).
        expect(resolutions.mock.calls).toHaveLength(2);
      });
    } finally {
      resolutions.mockRestore();
    }
  });

  test("the written cdk.tf.json is the same with and without the pack", () => {
    const withPack = withApp((app, outdir) => {
      Aspects.of(volumeStack(app, "team", true)).add(new SecurityRulePack());
      app.synth();
      return written(outdir, "team");
    });
    const without = withApp((app, outdir) => {
      volumeStack(app, "team", true);
      app.synth();
      return written(outdir, "team");
    });
    expect(JSON.parse(withPack)).toHaveProperty("resource.aws_ebs_volume");
    expect(withPack).toBe(without);
  });

  test("findings are judged after every aspect ran: an aspect added after the pack that fixes a resource clears its finding", () => {
    withApp((app) => {
      const stack = volumeStack(app, "team");
      Aspects.of(stack).add(new SecurityRulePack());
      Aspects.of(stack).add(new EncryptVolumes());
      expect(() => app.synth()).not.toThrow();
      expect(findingsOf(annotationsOf(stack), "EC2001")).toEqual([]);
      expect(Testing.synth(stack)).toContain('"encrypted": true');
    });
  });

  test("a failed synth keeps no JSON: the next toTerraform() sees the stack as changed since", () => {
    withApp((app) => {
      const stack = volumeStack(app, "team");
      Aspects.of(stack).add(new SecurityRulePack());
      expect(() => app.synth()).toThrow(/\[team\/volume\] EC2001 /);
      new EbsVolume(stack, "later", { availabilityZone: "eu-central-1a", size: 5, encrypted: true });
      const json = stack.toTerraform() as { resource: { aws_ebs_volume: Record<string, unknown> } };
      expect(Object.keys(json.resource.aws_ebs_volume)).toHaveLength(2);
    });
  });

  test("Testing.synth() (no custom synthesis) runs the registered checks on its own resolution, once", () => {
    const app = Testing.app();
    const stack = volumeStack(app, "team");
    const seen: string[] = [];
    checkSynthesizedJson(stack, (json) => seen.push(Object.keys(json.resource as object).join(",")));
    Testing.synth(stack);
    Testing.synth(stack);
    expect(seen).toEqual(["aws_ebs_volume"]);
  });

  test("a stack that already has a custom synthesis of its own is checked at once, from the aspect", () => {
    const app = Testing.app();
    const stack = volumeStack(app, "team");
    Object.defineProperty(stack, Symbol.for("cdktf/customSynthesis"), { value: { onSynthesize: () => undefined } });
    const seen: unknown[] = [];
    checkSynthesizedJson(stack, (json) => seen.push(json.resource));
    expect(seen).toHaveLength(1);
    Aspects.of(stack).add(new SecurityRulePack());
    Testing.synth(stack);
    expect(findingsOf(annotationsOf(stack), "EC2001").map((a) => a.path)).toEqual(["team/volume"]);
  });
});
