import { Testing } from "cdktf";
import { buildScaleStack, scaleProjectPath } from "../../bench/scale";
import { resourcesOf, synth, type SynthJson } from "../support/synth";

// The scale benchmark (`npm run bench:scale`) times this stack at 250 to 1,000
// projects; this keeps what it builds from changing unnoticed.

const PROJECTS = 20;
let json: SynthJson;

beforeAll(() => {
  json = synth(buildScaleStack(Testing.app(), PROJECTS)).json;
});

/** The one resource of `type` whose logical id is `<prefix>_<hash>`. */
function byId(type: string, prefix: string): Record<string, unknown> {
  const found = Object.entries(resourcesOf(json, type)).filter(([id]) => new RegExp(`^${prefix}_[0-9A-F]{8}$`).test(id));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}_<hash>, found ${found.length}`);
  return found[0]![1];
}

describe("scale benchmark stack", () => {
  test("resource counts per type: two repositories, one role, one inline policy and five variables per project; one group variable", () => {
    const counts = Object.fromEntries(Object.entries(json.resource ?? {}).map(([type, byId]) => [type, Object.keys(byId).length]));
    expect(counts).toEqual({
      aws_ecr_repository: 2 * PROJECTS,
      aws_ecr_lifecycle_policy: 2 * PROJECTS,
      aws_iam_role: PROJECTS,
      aws_iam_role_policy: PROJECTS,
      gitlab_project_variable: 5 * PROJECTS,
      gitlab_group_variable: 1,
    });
    expect(json.data).toBeUndefined();
  });

  test("the registry host is one group variable", () => {
    expect(Object.values(resourcesOf(json, "gitlab_group_variable"))).toEqual([
      expect.objectContaining({ group: "group", key: "PLATFORM_REGISTRY_HOST", value: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", raw: true }),
    ]);
  });

  test("providers: AWS with the account guard, GitLab with its base URL only (no token)", () => {
    expect(json.provider).toEqual({
      aws: [{ region: "eu-central-1", allowed_account_ids: ["111111111111"] }],
      gitlab: [{ base_url: "https://gitlab.example.com/api/v4/" }],
    });
  });

  test("one project: repositories, a role trusted by its default branch with push on both, its variables", () => {
    const i = 7;
    const path = scaleProjectPath(i);
    expect(byId("aws_ecr_repository", `project-${i}_app_repository`).name).toBe(`${path}/app`);
    expect(byId("aws_ecr_repository", `project-${i}_app-ci_repository`).name).toBe(`${path}/app-ci`);

    const role = byId("aws_iam_role", `project-${i}_ci-role`);
    expect(role.name).toBe(`scale-project-${i}-ci`);
    expect(role.assume_role_policy).toContain(`"gitlab.example.com:sub":"project_path:${path}:ref_type:branch:ref:main"`);

    const policy = JSON.parse(byId("aws_iam_role_policy", `project-${i}_ci-role_grants_policy`).policy as string) as {
      Statement: Array<{ Action: string[]; Resource: string[] }>;
    };
    const push = policy.Statement.find((s) => s.Action.includes("ecr:PutImage"))!;
    expect(push.Resource).toHaveLength(2);
    expect(push.Resource.every((r) => r.startsWith(`\${aws_ecr_repository.project-${i}_app`))).toBe(true);

    const variables = Object.values(resourcesOf(json, "gitlab_project_variable")).filter((v) => v.project === path);
    expect(Object.fromEntries(variables.map((v) => [v.key, v.value]))).toEqual({
      PLATFORM_AWS_REGION: "eu-central-1",
      PLATFORM_AWS_ROLE_ARN: `arn:aws:iam::111111111111:role/scale-project-${i}-ci`,
      PLATFORM_OIDC_AUDIENCE: "https://gitlab.example.com",
      PLATFORM_APP_IMAGE: expect.stringContaining(`aws_ecr_repository.project-${i}_app_repository`),
      PLATFORM_CI_IMAGE: expect.stringContaining(`aws_ecr_repository.project-${i}_app-ci_repository`),
    });
  });

  test("the size must be a whole number", () => {
    expect(() => buildScaleStack(Testing.app(), 1.5)).toThrow(/whole number/);
  });
});
