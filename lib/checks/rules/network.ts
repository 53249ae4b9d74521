import { type SecurityRule } from "../rule";
import { userDataTexts } from "../secrets";
import { blocks, isRecord, isTrue, strings, type StackElement, type StackModel } from "../stack-model";
import { violationsOf } from "./violations";

/** True for a CIDR with prefix length 0 (`0.0.0.0/0`, `::/0`): the whole internet. */
export function isWholeInternet(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

/** `tcp 22`, `tcp 8081-8082` or `all traffic`, for messages. */
function ports(block: Record<string, unknown>, protocolKey: string): string {
  const protocol = String(block[protocolKey] ?? "");
  if (protocol === "-1" || protocol === "all") return "all traffic";
  const from = block.from_port;
  const to = block.to_port;
  return `${protocol} ${from === to ? String(from) : `${String(from)}-${String(to)}`}`;
}

/** The ingress rules of an element that admit a `/0` CIDR. */
function openIngress(e: StackElement): string[] {
  const open = (cidrs: unknown): string[] => strings(cidrs).filter(isWholeInternet);
  switch (e.type) {
    case "aws_security_group":
      return blocks(e.config.ingress).flatMap((rule) => {
        const cidrs = [...open(rule.cidr_blocks), ...open(rule.ipv6_cidr_blocks)];
        return cidrs.length > 0 ? [`inline ingress ${ports(rule, "protocol")} from ${cidrs.join(", ")}`] : [];
      });
    case "aws_security_group_rule": {
      if (e.config.type !== "ingress") return [];
      const cidrs = [...open(e.config.cidr_blocks), ...open(e.config.ipv6_cidr_blocks)];
      return cidrs.length > 0 ? [`ingress ${ports(e.config, "protocol")} from ${cidrs.join(", ")}`] : [];
    }
    default: {
      const cidrs = [...open(e.config.cidr_ipv4), ...open(e.config.cidr_ipv6)];
      return cidrs.length > 0 ? [`ingress ${ports(e.config, "ip_protocol")} from ${cidrs.join(", ")}`] : [];
    }
  }
}

const INGRESS_TYPES = ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"];

/** NET001: no security group admits the whole internet. */
export const openIngressRule: SecurityRule = {
  id: "NET001",
  title: "Security group admits 0.0.0.0/0 or ::/0",
  rationale: "Runner hosts and mirrors need no inbound traffic from the internet (Session Manager replaces SSH); an open port is scanned within minutes.",
  severity: "error",
  resourceTypes: INGRESS_TYPES,
  fix: "admit only the security groups or VPC CIDRs that need the port (e.g. the runner hosts' group to the mirror port); use Session Manager instead of SSH",
  check: (model) => violationsOf(model.resources(...INGRESS_TYPES), openIngress),
};

const HOST_TYPES = ["aws_instance", "aws_spot_instance_request", "aws_launch_template"];
const ROLE_TAG_KEYS = new Set(["name", "role", "component", "service", "app"]);

/** Why a host looks like a registry mirror (construct path, tags, Nexus in user data), or undefined. */
function mirrorEvidence(e: StackElement, pattern: RegExp): string | undefined {
  const segment = e.path?.split("/").find((s) => pattern.test(s));
  if (segment) return `its construct path segment "${segment}" matches ${String(pattern)}`;
  const tagMaps = [e.config.tags, ...blocks(e.config.tag_specifications).map((t) => t.tags)].filter(isRecord);
  for (const tags of tagMaps) {
    const hit = Object.entries(tags).find(([k, v]) => ROLE_TAG_KEYS.has(k.toLowerCase()) && typeof v === "string" && pattern.test(v));
    if (hit) return `its tag ${hit[0]}=${JSON.stringify(hit[1])} matches ${String(pattern)}`;
  }
  return userDataTexts(e).some((t) => /sonatype\/nexus/i.test(t)) ? "its user data runs sonatype/nexus" : undefined;
}

/** How a host gets a public IP, if it does. */
function publicIpSources(model: StackModel, e: StackElement): string[] {
  if (e.type === "aws_launch_template") {
    return blocks(e.config.network_interfaces).some((n) => isTrue(n.associate_public_ip_address)) ? ['network_interfaces.associate_public_ip_address = "true"'] : [];
  }
  const sources: string[] = [];
  if (isTrue(e.config.associate_public_ip_address)) sources.push("associate_public_ip_address = true");
  else if (e.config.associate_public_ip_address === undefined) {
    const subnet = model.resources("aws_subnet").find((s) => model.identifies(e.config.subnet_id, s, []) && isTrue(s.config.map_public_ip_on_launch));
    if (subnet) sources.push(`its subnet ${subnet.address} has map_public_ip_on_launch = true`);
  }
  sources.push(
    ...model.resources("aws_eip").filter((eip) => model.identifies(eip.config.instance, e, [])).map((eip) => `Elastic IP ${eip.address}`),
    ...model.resources("aws_eip_association").filter((a) => model.identifies(a.config.instance_id, e, [])).map((a) => `Elastic IP association ${a.address}`),
  );
  return sources;
}

/** NET002: hosts that serve a registry mirror get no public IP. */
export const publicMirrorHost: SecurityRule = {
  id: "NET002",
  title: "Registry mirror host with a public IP",
  rationale: "The mirror allows anonymous pulls (the docker daemon never authenticates to a mirror), so a public address serves your cached images and build downloads to the internet.",
  severity: "error",
  resourceTypes: [...HOST_TYPES, "aws_eip", "aws_eip_association", "aws_subnet"],
  fix: "run the mirror in a private subnet without a public IP (associate_public_ip_address = false, no Elastic IP); runners reach it inside the VPC",
  check: (model, options) =>
    violationsOf(model.resources(...HOST_TYPES), (e) => {
      const sources = publicIpSources(model, e);
      const evidence = sources.length > 0 ? mirrorEvidence(e, options.mirrorHostPattern) : undefined;
      return evidence ? [`it serves a registry mirror (${evidence}) and gets a public IP: ${sources.join(", ")}`] : [];
    }),
};
