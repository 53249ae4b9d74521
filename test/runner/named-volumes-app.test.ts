import { Testing } from "cdktf";
import { buildPlatform } from "../../stacks/app";
import { exampleConfig } from "../../stacks/example-config";

// The allowlist for unprotected pools advises a named docker volume to share files between jobs;
// following that advice must build in both modes (the runner model's form check refused it).
test.each(["docker-autoscaler", "fleet"] as const)("an unprotected pool (%s) with a named docker volume builds, and the volume reaches config.toml", (mode) => {
  const dev = exampleConfig.environments[0]!;
  const unprotected = dev.runners!.unprotected!;
  const env = { ...dev, runners: { ...dev.runners!, unprotected: { ...unprotected, mode, runners: unprotected.runners.map((r) => ({ ...r, volumes: ["/cache", "gomod:/go/pkg/mod"] })) } } };
  const stacks = buildPlatform(Testing.app(), { ...exampleConfig, environments: [env, ...exampleConfig.environments.slice(1)] });
  const text = Testing.synth(stacks.environments.get("dev")!);
  // The manager's or hosts' config.toml (inside user data) lists both volumes.
  expect(text).toMatch(/volumes = \[ \\+"\/cache\\+", \\+"gomod:\/go\/pkg\/mod\\+" \]/);
});
