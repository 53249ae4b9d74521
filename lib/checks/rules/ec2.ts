import { type SecurityRule } from "../rule";
import { blocks, isTrue, type StackElement } from "../stack-model";
import { violationsOf } from "./violations";

const INSTANCE_TYPES = ["aws_instance", "aws_spot_instance_request"];
const HOST_TYPES = ["aws_launch_template", ...INSTANCE_TYPES, "aws_launch_configuration"];

/** An instance launched from a launch template leaves unset settings to the template (checked on its own). */
function usesLaunchTemplate(e: StackElement): boolean {
  return blocks(e.config.launch_template).length > 0;
}

/** `block device /dev/xvda`, for messages. */
function deviceName(block: Record<string, unknown>): string {
  return typeof block.device_name === "string" ? `block device ${block.device_name}` : "a block device";
}

/** Root device names of the common Linux and Windows AMIs. */
const COMMON_ROOT_DEVICES = ["/dev/xvda", "/dev/sda1"];

/**
 * The root device name of an AMI given as a public SSM parameter (`resolve:ssm:/aws/service/...`),
 * when the family fixes it: Amazon Linux and Bottlerocket use /dev/xvda, Ubuntu (Canonical) and
 * Windows /dev/sda1 (EC2 User Guide, "Root device volume"; the AMIs' BlockDeviceMappings). An AMI
 * id or a data source gives undefined.
 */
export function amiRootDevice(imageId: unknown): string | undefined {
  if (typeof imageId !== "string") return undefined;
  if (/^resolve:ssm:\/aws\/service\/(ami-amazon-linux-latest|bottlerocket)\//.test(imageId)) return "/dev/xvda";
  if (/^resolve:ssm:\/aws\/service\/(canonical|ami-windows-latest)\//.test(imageId)) return "/dev/sda1";
  return undefined;
}

/** The unencrypted volumes of a volume, launch template, launch configuration or instance. */
function volumeProblems(e: StackElement, encryptedByDefault: boolean): string[] {
  const c = e.config;
  switch (e.type) {
    case "aws_ebs_volume":
      return isTrue(c.encrypted) ? [] : ["the volume is not encrypted (encrypted is not true)"];
    case "aws_launch_template": {
      const ebs = blocks(c.block_device_mappings).filter((m) => blocks(m.ebs).length > 0);
      const problems = ebs.filter((m) => !blocks(m.ebs).every((v) => isTrue(v.encrypted))).map((m) => `${deviceName(m)} is not encrypted (ebs.encrypted is not "true")`);
      if (encryptedByDefault) return problems;
      const root = amiRootDevice(c.image_id);
      const mapped = ebs.some((m) => (root ? m.device_name === root : COMMON_ROOT_DEVICES.includes(String(m.device_name))));
      if (!mapped) {
        problems.unshift(
          root
            ? `it does not map the AMI's root device ${root}, so the root volume keeps the AMI snapshot's encryption (public AMIs: none)`
            : `it maps no root device (${COMMON_ROOT_DEVICES.join(" or ")}) and its AMI's root device is not known at synth, so the root volume's encryption depends on the AMI`,
        );
      }
      return problems;
    }
    default: {
      const root = blocks(c.root_block_device);
      const problems =
        root.length === 0
          ? usesLaunchTemplate(e) || encryptedByDefault
            ? []
            : ["it sets no root_block_device, so the root volume's encryption depends on the AMI and the account default"]
          : root.filter((r) => !isTrue(r.encrypted)).map(() => "the root volume is not encrypted (root_block_device.encrypted is not true)");
      return [...problems, ...blocks(c.ebs_block_device).filter((b) => !isTrue(b.encrypted)).map((b) => `${deviceName(b)} is not encrypted`)];
    }
  }
}

/** EC2001: EBS volumes, launch templates, launch configurations and instances must encrypt every volume. */
export const unencryptedVolumes: SecurityRule = {
  id: "EC2001",
  title: "Unencrypted EBS volume",
  rationale: "Runner and mirror disks hold images, caches and checked-out code; an unencrypted volume or snapshot exposes them to anyone who can copy it.",
  severity: "error",
  resourceTypes: ["aws_ebs_volume", ...HOST_TYPES],
  fix: 'set encrypted = true on the volume (launch templates: map the AMI\'s root device, e.g. /dev/xvda, with ebs { encrypted = "true" }; instances: root_block_device { encrypted = true }), or enable aws_ebs_encryption_by_default',
  check: (model) => {
    const byDefault = model.resources("aws_ebs_encryption_by_default").some((e) => e.config.enabled === undefined || isTrue(e.config.enabled));
    return violationsOf(model.resources("aws_ebs_volume", ...HOST_TYPES), (e) => volumeProblems(e, byDefault));
  },
};

/** The `metadata_options` block, if set. */
function metadataOptions(e: StackElement): Record<string, unknown> | undefined {
  return blocks(e.config.metadata_options)[0];
}

/** EC2002: hosts must require IMDSv2 session tokens (or disable the metadata service). */
export const imdsv2Required: SecurityRule = {
  id: "EC2002",
  title: "Instance metadata service allows IMDSv1",
  rationale: "IMDSv1 answers any request that reaches it, so an SSRF or a job container can read the host role's credentials; IMDSv2 needs a PUT-issued session token.",
  severity: "error",
  resourceTypes: HOST_TYPES,
  fix: 'set metadata_options { http_tokens = "required" } (and http_put_response_hop_limit = 1)',
  check: (model) =>
    violationsOf(model.resources(...HOST_TYPES), (e) => {
      const md = metadataOptions(e);
      if (md?.http_endpoint === "disabled" || md?.http_tokens === "required") return [];
      if (!md && INSTANCE_TYPES.includes(e.type) && usesLaunchTemplate(e)) return [];
      return [md ? `metadata_options.http_tokens is ${JSON.stringify(md.http_tokens ?? "optional (default)")}` : "it sets no metadata_options, so IMDSv1 stays enabled"];
    }),
};

/** EC2003: a metadata hop limit above 1 lets containers on the host reach IMDS. */
export const imdsHopLimit: SecurityRule = {
  id: "EC2003",
  title: "Instance metadata reachable from containers",
  rationale: "With http_put_response_hop_limit above 1, job containers on a bridge network reach IMDS and get the runner host role's credentials.",
  severity: "warning",
  resourceTypes: HOST_TYPES,
  fix: "set metadata_options { http_put_response_hop_limit = 1 }; give jobs their own credentials (GitLab OIDC roles) instead of the host's",
  check: (model) =>
    violationsOf(model.resources(...HOST_TYPES), (e) => {
      const md = metadataOptions(e);
      if (md?.http_endpoint === "disabled" || (!md && INSTANCE_TYPES.includes(e.type) && usesLaunchTemplate(e))) return [];
      const limit = md?.http_put_response_hop_limit;
      if (limit === undefined || limit === null) {
        return ["metadata_options.http_put_response_hop_limit is not set, so the AMI's default applies (2 on Amazon Linux 2023)"];
      }
      return Number(limit) > 1 ? [`metadata_options.http_put_response_hop_limit is ${String(limit)}`] : [];
    }),
};
