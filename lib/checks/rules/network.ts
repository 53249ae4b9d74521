import { type RuleViolation, type SecurityRule } from "../rule";
import { userDataTexts } from "../secrets";
import { coversWholeInternet } from "../cidr-set";
import { blocks, isExpression, isRecord, isTrue, referencesIn, strings, type StackElement, type StackModel } from "../stack-model";
import { evaluateValue } from "../terraform-eval";

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

/** One ingress rule: where it is declared, what it admits, and the CIDRs it admits it from. */
interface Ingress {
  readonly element: StackElement;
  readonly text: string;
  readonly cidrs: readonly string[];
}

/** The ingress rules of an element (inline blocks of a group, or one rule resource). */
function ingressOf(e: StackElement): Ingress[] {
  switch (e.type) {
    case "aws_security_group":
      return blocks(e.config.ingress).map((rule) => ({ element: e, text: `inline ingress ${ports(rule, "protocol")}`, cidrs: [...strings(rule.cidr_blocks), ...strings(rule.ipv6_cidr_blocks)] }));
    case "aws_security_group_rule":
      return e.config.type === "ingress" ? [{ element: e, text: `ingress ${ports(e.config, "protocol")}`, cidrs: [...strings(e.config.cidr_blocks), ...strings(e.config.ipv6_cidr_blocks)] }] : [];
    default:
      return [{ element: e, text: `ingress ${ports(e.config, "ip_protocol")}`, cidrs: [...strings(e.config.cidr_ipv4), ...strings(e.config.cidr_ipv6)] }];
  }
}

const INGRESS_TYPES = ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"];

/**
 * The ingress rules of a stack by security group: a rule resource joins the group of the stack
 * its `security_group_id` references (or, for a group outside the stack, the others naming the
 * same id). The element reported is the group when it is in the stack.
 */
function ingressByGroup(model: StackModel): Array<{ element: StackElement; rules: Ingress[] }> {
  const groups = new Map<string, { element: StackElement; rules: Ingress[] }>();
  const add = (key: string, element: StackElement, rules: Ingress[]) => {
    const entry = groups.get(key) ?? { element, rules: [] };
    entry.rules.push(...rules);
    groups.set(key, entry);
  };
  for (const group of model.resources("aws_security_group")) add(group.address, group, ingressOf(group));
  for (const rule of model.resources("aws_security_group_rule", "aws_vpc_security_group_ingress_rule")) {
    const id = rule.config.security_group_id;
    const group = model.resources("aws_security_group").find((g) => model.identifies(id, g, []));
    add(group ? group.address : `id:${JSON.stringify(id)}`, group ?? rule, ingressOf(rule));
  }
  return [...groups.values()];
}

/** NET001: no security group admits the whole internet, judged on the union of its ingress CIDRs. */
export const openIngressRule: SecurityRule = {
  id: "NET001",
  title: "Security group admits the whole internet",
  rationale:
    "Runner hosts and mirrors need no inbound traffic from the internet (Session Manager replaces SSH); an open port is scanned within minutes. Judged on the union of a group's CIDRs, so 0.0.0.0/1 plus 128.0.0.0/1 counts as 0.0.0.0/0.",
  severity: "error",
  resourceTypes: INGRESS_TYPES,
  fix: "admit only the security groups or VPC CIDRs that need the port (e.g. the runner hosts' group to the mirror port); use Session Manager instead of SSH",
  check: (model) => {
    const groups = ingressByGroup(model);
    return groups.flatMap(({ element, rules }): RuleViolation[] => {
      const resolved = rules.map((r) => ({ ...r, cidrs: r.cidrs.map((c) => resolveCidr(model, c)) }));
      const cidrs = resolved.flatMap((r) => r.cidrs.filter((c): c is string => typeof c === "string"));
      if (coversWholeInternet(cidrs)) {
        const open = rules.filter((r) => r.cidrs.length > 0).map((r) => `${r.element === element ? "" : `${r.element.address}: `}${r.text} from ${r.cidrs.join(", ")}`);
        const whole = cidrs.some(isWholeInternet) ? "" : " (together the blocks cover every address)";
        return [{ element, detail: `its ingress rules admit the whole internet${whole}: ${open.join("; ")}` }];
      }
      const unknown = resolved.flatMap((r) => r.cidrs.filter((c): c is { unknown: string } => typeof c !== "string" && c !== null).map((c) => `${r.text} from ${c.unknown}`));
      return unknown.length > 0 ? [{ element, unchecked: true, detail: `its ingress CIDRs are known only at apply time: ${unknown.join("; ")}` }] : [];
    });
  },
};

/** Attributes whose CIDR is the network's own address space (never the internet). */
const NETWORK_CIDR_REFERENCE = /^(?:data\.)?aws_(?:vpc|subnet|vpc_ipv4_cidr_block_association)$/;

/**
 * A CIDR value with locals followed: the block, `null` for the CIDR of a VPC or subnet of the
 * stack (a reference to its `cidr_block`: the network's own range), or why it is known only at apply time.
 */
function resolveCidr(model: StackModel, value: string): string | null | { unknown: string } {
  if (!isExpression(value)) return value;
  const r = evaluateValue(model, value);
  if (r.known && typeof r.value === "string") return r.value;
  const refs = referencesIn(value);
  if (refs.length > 0 && refs.every((ref) => NETWORK_CIDR_REFERENCE.test(`${ref.kind === "data" ? "data." : ""}${ref.type}`) && /cidr_block$/.test(ref.attribute ?? ""))) return null;
  return { unknown: value };
}

const HOST_TYPES = ["aws_instance", "aws_spot_instance_request", "aws_launch_template"];
const ROLE_TAG_KEYS = new Set(["name", "role", "component", "service", "app"]);

/** Why a host looks like a registry mirror (construct path, tags, Nexus in user data), or undefined. */
function mirrorEvidence(model: StackModel, e: StackElement, pattern: RegExp): string | undefined {
  const segment = e.path?.split("/").find((s) => pattern.test(s));
  if (segment) return `its construct path segment "${segment}" matches ${String(pattern)}`;
  const tagMaps = [e.config.tags, ...blocks(e.config.tag_specifications).map((t) => t.tags)].filter(isRecord);
  for (const tags of tagMaps) {
    const hit = Object.entries(tags).find(([k, v]) => ROLE_TAG_KEYS.has(k.toLowerCase()) && typeof v === "string" && pattern.test(v));
    if (hit) return `its tag ${hit[0]}=${JSON.stringify(hit[1])} matches ${String(pattern)}`;
  }
  return userDataTexts(e, model).some((t) => /sonatype\/nexus/i.test(t)) ? "its user data runs sonatype/nexus" : undefined;
}

/** A boolean attribute with locals followed: true, false, or the reason it is known only at apply time. */
function flag(model: StackModel, value: unknown): boolean | string {
  if (!isExpression(value)) return isTrue(value);
  const r = evaluateValue(model, value);
  return r.known ? isTrue(r.value) : r.reason;
}

/** How a host gets a public IP (`sources`), and what about it is known only at apply time (`unknown`). */
function publicIpSources(model: StackModel, e: StackElement): { sources: string[]; unknown: string[] } {
  const sources: string[] = [];
  const unknown: string[] = [];
  const judge = (value: unknown, text: string) => {
    const f = flag(model, value);
    if (f === true) sources.push(text);
    else if (typeof f === "string") unknown.push(`${text.split(" = ")[0]} (${f})`);
  };
  if (e.type === "aws_launch_template") {
    for (const n of blocks(e.config.network_interfaces)) judge(n.associate_public_ip_address, 'network_interfaces.associate_public_ip_address = "true"');
    return { sources, unknown };
  }
  if (e.config.associate_public_ip_address !== undefined) judge(e.config.associate_public_ip_address, "associate_public_ip_address = true");
  else {
    const subnet = model.resources("aws_subnet").find((s) => model.identifies(e.config.subnet_id, s, []) && isTrue(s.config.map_public_ip_on_launch));
    if (subnet) sources.push(`its subnet ${subnet.address} has map_public_ip_on_launch = true`);
  }
  sources.push(
    ...model.resources("aws_eip").filter((eip) => model.identifies(eip.config.instance, e, [])).map((eip) => `Elastic IP ${eip.address}`),
    ...model.resources("aws_eip_association").filter((a) => model.identifies(a.config.instance_id, e, [])).map((a) => `Elastic IP association ${a.address}`),
  );
  return { sources, unknown };
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
    model.resources(...HOST_TYPES).flatMap((element): RuleViolation[] => {
      const { sources, unknown } = publicIpSources(model, element);
      if (sources.length === 0 && unknown.length === 0) return [];
      const evidence = mirrorEvidence(model, element, options.mirrorHostPattern);
      if (!evidence) return [];
      if (sources.length > 0) return [{ element, detail: `it serves a registry mirror (${evidence}) and gets a public IP: ${sources.join(", ")}` }];
      return [{ element, unchecked: true, detail: `it serves a registry mirror (${evidence}) and whether it gets a public IP is known only at apply time: ${unknown.join(", ")}` }];
    }),
};
