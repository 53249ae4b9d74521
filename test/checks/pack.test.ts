import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { App, Aspects, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { SecurityRulePack } from "../../lib/checks/pack";
import { suppressRule } from "../../lib/checks/suppressions";
import { annotationsOf, checkStack, findingsOf } from "../support/annotations";
import { testStack, violationOf } from "../support/synth";

/** A construct of "another team" holding an unencrypted volume (EC2001, error). */
class DataDisk extends Construct {
  public readonly volume: EbsVolume;
  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.volume = new EbsVolume(this, "volume", { availabilityZone: "eu-central-1a", size: 10 });
  }
}

/** A stack with a provider (full synth validates that every resource has one) and a DataDisk. */
function diskStack(app = Testing.app(), id = "test"): TerraformStack {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, "aws", { region: "eu-central-1" });
  new DataDisk(stack, "disk");
  return stack;
}

/** Reads the annotations cdktf wrote to manifest.json for one stack. */
function manifestAnnotations(outdir: string, stack: string): Array<{ constructPath: string; level: string; message: string }> {
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as { stacks: Record<string, { annotations: [] }> };
  return manifest.stacks[stack]!.annotations;
}

describe("how findings reach synth", () => {
  test("an error finding fails app.synth() and Testing.fullSynth(), naming the construct", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "checks-"));
    try {
      const stack = diskStack(new App({ outdir, stackTraces: false }), "team");
      Aspects.of(stack).add(new SecurityRulePack());
      const app = stack.node.scope as App;
      expect(() => app.synth()).toThrow(/Encountered Annotations with level "ERROR":\n\[team\/disk\/volume\] EC2001 Unencrypted EBS volume: the volume is not encrypted/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    const stack = diskStack();
    Aspects.of(stack).add(new SecurityRulePack());
    expect(() => Testing.fullSynth(stack)).toThrow(/\[test\/disk\/volume\] EC2001 /);
  });

  test("Testing.synth() runs the pack but does not fail: tests read the annotations instead", () => {
    const stack = testStack();
    new DataDisk(stack, "disk");
    Aspects.of(stack).add(new SecurityRulePack());
    expect(() => Testing.synth(stack)).not.toThrow();
    expect(annotationsOf(stack).map((a) => [a.level, a.path])).toEqual([["error", "test/disk/volume"]]);
  });

  test("a warning lets synth pass and is written to manifest.json (the cdktf CLI prints it)", () => {
    const stack = diskStack();
    Aspects.of(stack).add(new SecurityRulePack({ severity: { EC2001: "warning" } }));
    const outdir = Testing.fullSynth(stack);
    try {
      expect(manifestAnnotations(outdir, "test")).toEqual([
        expect.objectContaining({ constructPath: "test/disk/volume", level: "@cdktf/warn", message: expect.stringMatching(/^EC2001 Unencrypted EBS volume: /) }),
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("synthesizing twice annotates once", () => {
    const stack = testStack();
    new DataDisk(stack, "disk");
    Aspects.of(stack).add(new SecurityRulePack());
    Testing.synth(stack);
    Testing.synth(stack);
    expect(findingsOf(annotationsOf(stack), "EC2001")).toHaveLength(1);
  });

  test("cdktf 0.21 runs aspects from each stack down: a pack added to the App checks nothing", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "checks-"));
    try {
      const app = new App({ outdir, stackTraces: false });
      diskStack(app, "one");
      Aspects.of(app).add(new SecurityRulePack());
      expect(() => app.synth()).not.toThrow();
      expect(annotationsOf(app)).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("added below a stack, the pack says it checks nothing", () => {
    const stack = testStack();
    const disk = new DataDisk(stack, "disk");
    Aspects.of(disk).add(new SecurityRulePack());
    Testing.synth(stack);
    expect(annotationsOf(stack)).toEqual([
      { level: "warning", path: "test/disk", message: expect.stringContaining("SecurityRulePack was added to test/disk, below its stack, and checks nothing") },
    ]);
  });
});

describe("suppressions", () => {
  test("a suppression on a construct hides its children's findings and is listed with its reason", () => {
    const stack = diskStack();
    const disk = stack.node.findChild("disk");
    suppressRule(disk, "EC2001", "scratch disk for throwaway build output, encrypted by the account default", "2099-12-31");
    Aspects.of(stack).add(new SecurityRulePack());
    const outdir = Testing.fullSynth(stack); // no error: the finding is suppressed
    try {
      expect(manifestAnnotations(outdir, "test")).toEqual([
        {
          constructPath: "test/disk",
          level: "@cdktf/info",
          message: expect.stringMatching(
            /^SecurityRulePack: EC2001 suppressed at test\/disk, reason: "scratch disk for throwaway build output, encrypted by the account default", expires 2099-12-31 \(hides 1 finding\(s\) on aws_ebs_volume\.disk_volume_[0-9A-F]{8}\)$/,
          ),
        },
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("a suppression of another rule hides nothing, and an unused suppression is reported", () => {
    const annotations = checkStack((s) => {
      const disk = new DataDisk(s, "disk");
      suppressRule(disk, "EC2002", "the disk has no metadata service", "2099-12-31");
    });
    expect(annotations.map((a) => [a.level, a.path, a.message.slice(0, 52)])).toEqual([
      ["warning", "test/disk", "SecurityRulePack: the suppression of EC2002 at test/"],
      ["error", "test/disk/volume", "EC2001 Unencrypted EBS volume: the volume is not enc"],
    ]);
    expect(annotations[0]!.message).toContain('(reason: "the disk has no metadata service") matches no finding; remove it');
  });

  test("the nearest suppression wins and only its rule is hidden", () => {
    const annotations = checkStack((s) => {
      const team = new Construct(s, "team");
      suppressRule(team, "ECR001", "registry scanning is configured in the account stack", "2099-12-31");
      const repo = new EcrRepository(team, "repo", { name: "acme/app", forceDelete: true, imageTagMutability: "IMMUTABLE" });
      suppressRule(repo, "ECR001", "scanned by the registry-wide ENHANCED configuration", "2099-12-31");
    });
    expect(annotations.map((a) => [a.level, a.path, a.message.split(":")[0]])).toEqual([
      ["warning", "test/team", "SecurityRulePack"],
      ["error", "test/team/repo", "ECR002 ECR repository with force_delete"],
      ["info", "test/team/repo", "SecurityRulePack"],
    ]);
  });

  test("suppressRule requires a known rule id, a written reason and a real expiry date, once per construct", () => {
    const stack = testStack();
    const disk = new DataDisk(stack, "disk");
    expect(violationOf(() => suppressRule(disk, "EC2001", "  ", "2099-12-31")).message).toMatch(
      /^test\/disk: invalid reason for suppressing EC2001 " {2}"\. Rule: every suppression needs a written reason/,
    );
    expect(violationOf(() => suppressRule(disk, "EC201", "typo", "2099-12-31")).message).toMatch(/^test\/disk: invalid suppressed rule id "EC201"\. Rule: a suppression names a rule of the security rule pack \(IAM001, /);
    expect(violationOf(() => suppressRule(disk, "EC2001", "no date", "2099-02-30")).message).toMatch(/^test\/disk: invalid expiry date of the suppression of EC2001 "2099-02-30"\. Rule: every suppression expires/);
    expect(violationOf(() => suppressRule(disk, "EC2001", "no date", undefined as unknown as string)).message).toContain("every suppression expires");
    suppressRule(disk, "EC2001", "first", "2099-12-31");
    expect(violationOf(() => suppressRule(disk, "EC2001", "second", "2099-12-31")).message).toContain('the construct already suppresses EC2001 with the reason "first"');
  });

  test("a stack-wide (blanket) suppression is refused", () => {
    const stack = testStack();
    expect(violationOf(() => suppressRule(stack, "NET001", "all of them are fine", "2099-12-31")).message).toMatch(
      /^test: invalid scope of the suppression of NET001 "test"\. Rule: a suppression names the resources it accepts: a stack-wide/,
    );
  });

  test("an expired suppression hides nothing: the finding returns with a note", () => {
    const build = (s: TerraformStack) => suppressRule(new DataDisk(s, "disk"), "EC2001", "scratch disk", "2026-01-31");
    const before = checkStack(build, { today: new Date("2026-01-31T23:00:00Z") });
    expect(before.map((a) => a.level)).toEqual(["info"]);
    const after = checkStack(build, { today: new Date("2026-02-01T00:00:00Z") });
    expect(after.map((a) => [a.level, a.path])).toEqual([["error", "test/disk/volume"]]);
    expect(after[0]!.message).toMatch(/EC2001 Unencrypted EBS volume: .*\(The suppression at test\/disk expired on 2026-01-31; reason was "scratch disk"\.\)$/);
  });
});

describe("production exceptions", () => {
  test("an error-level rule cannot be downgraded in production without a named, reasoned exception", () => {
    expect(violationOf(() => new SecurityRulePack({ production: true, severity: { IAM002: "warning" } })).message).toMatch(
      /^SecurityRulePack\/severity\/IAM002: invalid severity override "warning"\. Rule: IAM002 is an error-level rule and the stacks are production/,
    );
    expect(violationOf(() => new SecurityRulePack({ production: true, severity: { IAM002: "warning" }, exceptions: [{ ruleId: "IAM002", name: "", reason: "x" }] })).message).toMatch(
      /^SecurityRulePack\/exceptions\[0\]: invalid name ""/,
    );
    const disk = (s: TerraformStack) => new DataDisk(s, "disk");
    const accepted = { production: true, severity: { EC2001: "warning" as const }, exceptions: [{ ruleId: "EC2001", name: "platform-security", reason: "scratch disks, encrypted by the account default" }] };
    expect(findingsOf(checkStack(disk, accepted), "EC2001").map((a) => a.level)).toEqual(["warning"]);
    // Outside production, and for warning-level rules, an override needs no exception.
    expect(checkStack(disk, { severity: { EC2001: "warning" } }).map((a) => a.level)).toEqual(["warning"]);
    expect(() => new SecurityRulePack({ production: true, severity: { EC2003: "error" } })).not.toThrow();
  });
});

describe("options", () => {
  test("severity overrides turn an error into a warning and a warning into an error", () => {
    const disk = (s: TerraformStack) => new DataDisk(s, "disk");
    expect(checkStack(disk).map((a) => a.level)).toEqual(["error"]);
    expect(checkStack(disk, { severity: { EC2001: "warning" } }).map((a) => a.level)).toEqual(["warning"]);
    const hopLimit = (s: TerraformStack) =>
      new LaunchTemplate(s, "runners", {
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
        blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }],
      });
    expect(checkStack(hopLimit).map((a) => [a.level, a.message.slice(0, 6)])).toEqual([["warning", "EC2003"]]);
    expect(checkStack(hopLimit, { severity: { EC2003: "error" } }).map((a) => [a.level, a.message.slice(0, 6)])).toEqual([["error", "EC2003"]]);
  });

  test("invalid props fail with the field, the rule and the fix", () => {
    expect(violationOf(() => new SecurityRulePack({ severity: { XYZ001: "error" } })).message).toMatch(/^SecurityRulePack\/severity: invalid rule id "XYZ001"/);
    expect(violationOf(() => new SecurityRulePack({ severity: { EC2001: "fatal" as "error" } })).message).toMatch(
      /^SecurityRulePack\/severity\/EC2001: invalid severity "fatal"\. Rule: a severity is "error" \(fails synth\) or "warning" \(annotates\)/,
    );
    expect(violationOf(() => new SecurityRulePack({ protectedTags: ["v*.*.*.*.*"] })).message).toMatch(/^SecurityRulePack\/protectedTags\[0\]: invalid tag pattern/);
    expect(violationOf(() => new SecurityRulePack({ protectedKeepCount: 0 })).message).toMatch(/^SecurityRulePack: invalid protectedKeepCount 0/);
    expect(violationOf(() => new SecurityRulePack({ today: new Date("not a date") })).message).toMatch(/^SecurityRulePack: invalid today .*Rule: the date suppressions are judged against is a valid Date/);
  });
});
