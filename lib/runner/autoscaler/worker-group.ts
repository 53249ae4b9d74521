import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { check } from "../../core/errors";
import { escapeForFunctionArgument, isUnresolved } from "../../core/tokens";
import { type MirrorEndpoint } from "../../mirror/mirror-endpoint";
import { type NetworkRef } from "../../network/network-ref";
import { al2023AmiParameter, fleetArchitecture, validateImageIdArchitecture } from "../architecture";
import { mirrorPorts } from "../fleet";
import { type RunnerHostArchitecture } from "../user-data";

/** How workers are bought. */
export type WorkerPurchase = "on-demand" | "spot";

/** Props of a {@link WorkerGroup}. */
export interface WorkerGroupProps {
  /** The Auto Scaling group's name (1-255 of `\w.:/-`). */
  readonly groupName: string;
  /** Where the workers run (private subnets). */
  readonly network: NetworkRef;
  /** The manager's security group: the only source admitted, on the SSH port. */
  readonly managerSecurityGroupId: string;
  /** `max_instances` of the runner that owns the group. */
  readonly maxInstances: number;
  /**
   * Most instances of the group, ≥ `maxInstances`.
   * @default maxInstances
   */
  readonly maxSize?: number;
  /** Instance types, in priority order; all of `architecture` (mixed architectures are refused). */
  readonly instanceTypes: readonly string[];
  /** CPU architecture of the AMI; must be the instance types' (refused otherwise: the AMI could not boot on them). */
  readonly architecture: RunnerHostArchitecture;
  /**
   * AMI id or `resolve:ssm:<parameter>`.
   * @default the latest Amazon Linux 2023 from the public SSM parameter
   */
  readonly imageId?: string;
  /** On-demand or spot (capacity-optimized). */
  readonly purchase: WorkerPurchase;
  /** The worker cloud-config (no secret in it). */
  readonly userData: string;
  /** Encrypted gp3 root volume size in GiB. */
  readonly volumeSizeGiB: number;
  /**
   * Customer-managed KMS key for the volume.
   * @default the account's default EBS key
   */
  readonly kmsKeyArn?: string;
  /**
   * EC2 key pair whose public key goes to the login user (static-key connector).
   * @default none (EC2 Instance Connect)
   */
  readonly keyName?: string;
  /**
   * A registry mirror host the workers pull through (egress to its ports).
   * @default none
   */
  readonly mirror?: MirrorEndpoint;
  /**
   * Resource tags (also on instances and volumes).
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The connector's port on the workers (SSH). */
export const WORKER_SSH_PORT = 22;

/**
 * One runner's dedicated worker group, shaped as the fleeting AWS plugin
 * requires (plugin README "Autoscaling Group Setup"; GitLab Runner 18.11
 * docs, docker_autoscaler.md): min 0, desired 0 at creation and then owned by
 * the runner (Terraform ignores `desired_capacity`), max ≥ `max_instances`,
 * no scaling policy, instance scale-in protection on (only the runner removes
 * workers, with TerminateInstanceInAutoScalingGroup), capacity rebalancing off
 * and the `AZRebalance` process suspended (otherwise Auto Scaling terminates
 * workers the runner is using, and reservations oscillate: docs,
 * "unable to acquire instance: context deadline exceeded"). No instance
 * refresh: launch template changes reach new workers only, old ones leave
 * when the runner retires them (max_use_count, idle_time).
 *
 * Workers get no IAM role at all (credentials for images and cache are
 * resolved on the manager), IMDSv2 with hop limit 1, an encrypted gp3 root
 * volume, and a security group that admits only the manager's group on SSH.
 */
export class WorkerGroup extends Construct {
  /** The group's name. */
  public readonly autoScalingGroupName: string;
  /** The workers' security group. */
  public readonly securityGroupId: string;
  /** The `aws_launch_template`. */
  public readonly launchTemplate: LaunchTemplate;
  /** The `aws_autoscaling_group`. */
  public readonly autoScalingGroup: AutoscalingGroup;

  public constructor(scope: Construct, id: string, props: WorkerGroupProps) {
    super(scope, id);
    const path = this.node.path;
    const maxSize = props.maxSize ?? props.maxInstances;
    check(Number.isInteger(maxSize) && maxSize >= props.maxInstances, {
      path,
      subject: "maxSize",
      value: maxSize,
      rule: `the group's maximum is at least the runner's max_instances (${props.maxInstances}), or the plugin's SetDesiredCapacity calls fail (plugin README: "Maximum capacity should be equal or more than the configured fleeting Max Size")`,
      fix: `set maxSize to ${props.maxInstances} or more, or leave it unset`,
    });
    if (!isUnresolved(props.groupName)) {
      check(/^[\w.:/-]{1,255}$/.test(props.groupName), {
        path,
        subject: "groupName",
        value: props.groupName,
        rule: "an Auto Scaling group name of 1-255 letters, digits and _ . : / -",
        fix: "use a name such as acme-ci-dev-build-workers",
      });
    }
    this.autoScalingGroupName = props.groupName;
    // One AMI for every type of the group: the architectures must agree.
    const architecture = fleetArchitecture(path, props.instanceTypes, props.architecture);
    validateImageIdArchitecture(path, props.imageId, architecture, props.instanceTypes);

    const rule = (description: string, port: number, source: { cidr?: string; securityGroupId?: string }) => ({
      description,
      protocol: "tcp",
      fromPort: port,
      toPort: port,
      cidrBlocks: source.securityGroupId ? [] : [source.cidr ?? "0.0.0.0/0"],
      securityGroups: source.securityGroupId ? [source.securityGroupId] : [],
      ipv6CidrBlocks: [],
      prefixListIds: [],
      selfAttribute: false,
    });
    const mirrorGroup = props.mirror?.securityGroupId;
    const securityGroup = new SecurityGroup(this, "security-group", {
      name: `${props.groupName}`,
      description: `docker-autoscaler workers of ${props.groupName}: SSH from the runner manager only; outbound HTTP(S) and the registry mirror`,
      vpcId: props.network.vpcId,
      ingress: [rule("SSH from the runner manager (fleeting connector)", WORKER_SSH_PORT, { securityGroupId: props.managerSecurityGroupId })],
      egress: [
        rule("HTTPS: GitLab, registries, package repositories", 443, {}),
        rule("HTTP: package mirrors used by jobs (apt, dnf)", 80, {}),
        ...(mirrorGroup ? mirrorPorts(props.mirror!).map((port) => rule(`Registry mirror port ${port}`, port, { securityGroupId: mirrorGroup })) : []),
      ],
      tags: { ...props.tags, Name: props.groupName },
    });
    this.securityGroupId = securityGroup.id;

    const tags = { ...props.tags, Name: props.groupName, "gitlab-runner-workers": props.groupName };
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      name: props.groupName,
      description: `docker-autoscaler workers of ${props.groupName}`,
      imageId: props.imageId ?? `resolve:ssm:${al2023AmiParameter(architecture)}`,
      updateDefaultVersion: true,
      vpcSecurityGroupIds: [securityGroup.id],
      ...(props.keyName ? { keyName: props.keyName } : {}),
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeType: "gp3",
            volumeSize: props.volumeSizeGiB,
            encrypted: "true",
            ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}),
            deleteOnTermination: "true",
          },
        },
      ],
      userData: Fn.base64gzip(escapeForFunctionArgument(props.userData)),
      tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({ resourceType, tags })),
      tags: { ...props.tags, Name: props.groupName },
    });

    const spot = props.purchase === "spot";
    this.autoScalingGroup = new AutoscalingGroup(this, "group", {
      name: props.groupName,
      minSize: 0,
      maxSize,
      desiredCapacity: 0,
      vpcZoneIdentifier: [...props.network.privateSubnetIds],
      healthCheckType: "EC2",
      protectFromScaleIn: true,
      capacityRebalance: false,
      suspendedProcesses: ["AZRebalance"],
      mixedInstancesPolicy: {
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: spot ? 0 : 100,
          onDemandAllocationStrategy: "prioritized",
          spotAllocationStrategy: "capacity-optimized",
        },
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
          override: props.instanceTypes.map((instanceType) => ({ instanceType })),
        },
      },
      // No force_delete: the provider's delete drains the group itself (capacity 0, scale-in
      // protection removed from each instance, then waits; terraform-provider-aws
      // internal/service/autoscaling/group.go drainGroup), so protected workers do not block a
      // delete. Either way a deleted or renamed group's workers are terminated, running jobs
      // included: pause the runner first (docs/docker-autoscaler.md, "Renaming a worker group").
      // The runner owns the desired capacity; an apply must never undo its scaling.
      lifecycle: { ignoreChanges: ["desired_capacity"] },
    });
  }
}
