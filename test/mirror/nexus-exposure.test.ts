import { NexusMirror, type NexusMirrorProps } from "../../lib/mirror/nexus-mirror";
import { annotationsOf } from "../support/annotations";
import { resourcesOf, synth, testStack } from "../support/synth";

/*
 * What the mirror exposes by default, and the one loud opt-in: anonymous pull
 * through a credentialed Docker Hub proxy.
 */

const NETWORK = { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718"] };
const SECRET = "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ci/docker-hub-AbCdEf";
const RUNNERS = "sg-0123456789abcdef0";

function build(props: Partial<NexusMirrorProps> = {}) {
  const stack = testStack();
  const mirror = new NexusMirror(stack, "mirror", { name: "acme-mirror", accountId: "222222222222", region: "eu-central-1", network: NETWORK, clientSecurityGroupIds: [RUNNERS], ...props });
  return { stack, mirror, json: synth(stack).json };
}

const portsOpenTo = (json: ReturnType<typeof build>["json"], source: string) =>
  Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"))
    .filter((r) => r.referenced_security_group_id === source || r.cidr_ipv4 === source)
    .map((r) => Number(r.from_port))
    .sort((a, b) => a - b);

describe("Nexus mirror exposure defaults", () => {
  test("without raw proxies the runner hosts reach only the docker connector; 8081 stays closed to everyone", () => {
    const { json } = build();
    expect(portsOpenTo(json, RUNNERS)).toEqual([8082]);
    expect(Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).some((r) => Number(r.from_port) === 8081)).toBe(false);
  });

  test("8081 opens only to the admin CIDR, never to the runner hosts, however many clients are added", () => {
    const { mirror, json: first } = build({ adminCidr: "10.8.0.0/20", rawProxies: [{ name: "files", remoteUrl: "https://files.example.com" }] });
    mirror.allowClients("sg-0fedcba9876543210");
    const json = synth(mirror.node.scope as never).json;
    expect(portsOpenTo(first, "10.8.0.0/20")).toEqual([8081]);
    for (const sg of [RUNNERS, "sg-0fedcba9876543210"]) expect(portsOpenTo(json, sg)).toEqual([8082, 8090]);
  });

  test("anonymous pull through a credentialed upstream: allowed only with a reason, and reported as a warning", () => {
    const reason = "the token's access is Public Repo Read-only";
    const { mirror } = build({ dockerHubCredentialSecretArn: SECRET, credentialedAnonymousPull: { reason } });
    const warnings = annotationsOf(mirror).filter((a) => a.level === "warning");
    expect(warnings).toEqual([{ level: "warning", path: "test/mirror", message: expect.stringContaining(`every client of port 8082 pulls as the credential's account (reason given: ${reason})`) }]);
    expect(annotationsOf(build().mirror).filter((a) => a.level === "warning")).toEqual([]);
  });
});
