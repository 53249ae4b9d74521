import { Fn } from "cdktf";
import { Construct } from "constructs";
import { validateEcrRegistryHost } from "../core/aws";
import { constructArgs } from "../core/construct-args";
import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { type CiVariableOptions } from "./ci-variable";

/** Static credentials of a registry (`auths` entry: base64 of `user:password`). */
export interface RegistryCredentials {
  /** Registry host[:port], no scheme or path, e.g. `registry.cn-hangzhou.aliyuncs.com`. */
  readonly registry: string;
  /** User name (a token is fine). */
  readonly username: string;
  /**
   * Password or token: must be an unresolved token (a sensitive stack-level
   * `TerraformVariable`, or a resource attribute such as a deploy token's `token`),
   * never a literal, so no secret is written into the synthesized JSON.
   */
  readonly password: string;
}

/** A GitLab deploy token as DOCKER_AUTH_CONFIG needs it: credentials plus the scopes it was created with. */
export interface DeployTokenCredentials extends RegistryCredentials {
  /** The token's scopes, e.g. `read_registry`. */
  readonly scopes: readonly string[];
}

/** Props of {@link DockerAuthConfig}. */
export interface DockerAuthConfigProps {
  /**
   * ECR registry hosts (`<account>.dkr.ecr.<region>.amazonaws.com`, tokens fine):
   * `credHelpers` entries for the amazon-ecr-credential-helper (`ecr-login`) on the
   * runner host. No secret: ECR tokens live 12 hours, so a static `auths` entry would expire.
   * @default none
   */
  readonly ecrRegistries?: readonly string[];
  /**
   * Registries with static credentials (e.g. Alibaba ACR).
   * @default none
   */
  readonly staticCredentials?: readonly RegistryCredentials[];
  /**
   * GitLab deploy tokens for the GitLab container registry; each needs the `read_registry` scope.
   * @default none
   */
  readonly deployTokens?: readonly DeployTokenCredentials[];
}

/** Options of {@link DockerAuthConfig.toVariable}. */
export interface DockerAuthVariableOptions {
  /**
   * Pass the variable only to protected branches and tags.
   * @default false
   */
  readonly protected?: boolean;
  /**
   * Environment scope.
   * @default "*"
   */
  readonly environmentScope?: string;
  /**
   * Hide the value in the UI (GitLab 17.4+); applies only when the value holds a secret.
   * @default true when the value holds static credentials
   */
  readonly hidden?: boolean;
}

/** The variable the runner reads registry credentials from. */
export const DOCKER_AUTH_CONFIG = "DOCKER_AUTH_CONFIG";
/**
 * How the description of a sensitive Terraform variable starts when it holds a pull-only
 * credential that jobs of unprotected refs may read: the rule pack (GL001) accepts it in an
 * unprotected DOCKER_AUTH_CONFIG, and no other secret.
 */
export const UNPROTECTED_PULL_DESCRIPTION = "Pull-only credential for every job (read-only robot):";
/** The credential helper of amazon-ecr-credential-helper. */
export const ECR_CREDENTIAL_HELPER = "ecr-login";
/** Deploy-token scope needed to pull from the GitLab container registry. */
export const READ_REGISTRY_SCOPE = "read_registry";

/** A registry host: name[:port], no scheme, path or white space. */
const REGISTRY_HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$/;

/**
 * The DOCKER_AUTH_CONFIG value the runner uses to pull job images:
 * `credHelpers` (`ecr-login`) for ECR registries and `auths` (base64
 * `user:password`) for registries with static credentials, merged into one
 * value. Validated on construction.
 *
 * A construct that creates no resource: its value goes into a CI/CD variable
 * ({@link DockerAuthConfig.toVariable}), and its errors name its construct path.
 *
 * A credHelpers-only value holds no secret and is plain JSON. A value with
 * `auths` is built with Terraform functions (`jsonencode`, `base64encode`,
 * `zipmap`) from tokens, so the secret appears in the synthesized JSON only as
 * a reference; it is resolved at apply time (and then lands in state).
 *
 * Masking (GitLab 17.x/18.x rules): the value is JSON, so it is masked as a
 * raw variable, which needs one line without white space and 8+ characters.
 * Compact JSON of hosts and user names without white space and base64 text
 * always meets that: the literal hosts and user names are checked here.
 *
 * @example
 * const auth = new DockerAuthConfig(this, "docker-auth", {
 *   ecrRegistries: [repository.registryHost],
 *   staticCredentials: [{ registry: "registry.cn-hangzhou.aliyuncs.com", username: "acme", password: acrPassword.stringValue }],
 * });
 * new CiVariables(this, "auth", { target: { group: "acme" }, variables: [auth.toVariable()] });
 */
export class DockerAuthConfig extends Construct {
  /** Where it is configured, as named in error messages: its construct path (or the path given to the deprecated form). */
  public readonly path: string;
  /** The ECR hosts served by the credential helper. */
  public readonly ecrRegistries: readonly string[];
  /** All static credentials (static registries and deploy tokens). */
  public readonly staticCredentials: readonly RegistryCredentials[];

  /**
   * @deprecated Use `new DockerAuthConfig(scope, id, props)`: errors then name the construct path.
   *   This form takes a hand-built path for error messages and is not part of a construct tree.
   * @param path where it is configured (construct or config path), for error messages
   */
  public constructor(path: string, props: DockerAuthConfigProps);
  /**
   * @param scope the construct it belongs to
   * @param id construct id
   * @param props the registries and their credentials
   * @throws ValidationError for no registry at all, a registry that is not host[:port], a registry
   *   listed twice, an ECR host whose account or region is malformed, a literal password, a user
   *   name with white space or ':', or a deploy token without the `read_registry` scope
   */
  public constructor(scope: Construct, id: string, props: DockerAuthConfigProps);
  public constructor(first: Construct | string, second: string | DockerAuthConfigProps, third?: DockerAuthConfigProps) {
    const args = constructArgs<DockerAuthConfigProps>("DockerAuthConfig", first, second, third, {});
    super(args.scope as Construct, args.id);
    const { props } = args;
    const path = args.legacyPath ?? this.node.path;
    this.path = path;
    this.ecrRegistries = props.ecrRegistries ?? [];
    (props.deployTokens ?? []).forEach((token, i) => validateDeployTokenForPull(`${path}/deployTokens[${i}]`, token));
    this.staticCredentials = [...(props.staticCredentials ?? []), ...(props.deployTokens ?? [])];
    check(this.ecrRegistries.length + this.staticCredentials.length > 0, {
      path,
      subject: "registries",
      value: props,
      rule: "DOCKER_AUTH_CONFIG needs at least one registry: it tells the runner how to log in to registries (none given; with the platform, the environment has no repository)",
      fix: "give ecrRegistries (e.g. repository.registryHost), staticCredentials or deployTokens; with the platform, add a repository to registry.repositories",
    });

    const seen = new Map<string, string>();
    const register = (host: string, where: string): void => {
      if (isUnresolved(host)) return;
      check(REGISTRY_HOST.test(host), {
        path: where,
        subject: "registry host",
        value: host,
        rule: "a registry is host[:port] without scheme, path or white space (docker matches DOCKER_AUTH_CONFIG keys on it)",
        fix: `use e.g. ${JSON.stringify(host.replace(/^[a-z]+:\/\//, "").split("/")[0] || "registry.example.com")}`,
      });
      const first = seen.get(host.toLowerCase());
      check(first === undefined, {
        path: where,
        subject: "registry host",
        value: host,
        rule: `one entry per registry, but ${first} already configures it (docker would use only one of them)`,
        fix: "remove one of the two entries",
      });
      seen.set(host.toLowerCase(), where);
    };
    this.ecrRegistries.forEach((host, i) => {
      register(host, `${path}/ecrRegistries[${i}]`);
      validateEcrRegistryHost(`${path}/ecrRegistries[${i}]`, "ECR registry host", host);
    });
    this.staticCredentials.forEach((creds, i) => {
      const where = `${path}/staticCredentials[${i}]`;
      register(creds.registry, where);
      validateStaticCredentials(where, creds);
    });
  }

  /** True when the value holds static credentials (a secret). */
  public get containsSecret(): boolean {
    return this.staticCredentials.length > 0;
  }

  /**
   * The value: plain JSON (credHelpers only) or a Terraform `jsonencode(...)`
   * expression (with `auths`).
   */
  public render(): string {
    const credHelpers = Object.fromEntries(this.ecrRegistries.map((host) => [host, ECR_CREDENTIAL_HELPER]));
    if (!this.containsSecret) return JSON.stringify({ credHelpers });
    const auths = Fn.zipmap(
      this.staticCredentials.map((c) => c.registry),
      this.staticCredentials.map((c) => ({ auth: Fn.base64encode(Fn.join(":", [c.username, c.password])) })),
    );
    const helpers = Fn.zipmap([...this.ecrRegistries], this.ecrRegistries.map(() => ECR_CREDENTIAL_HELPER));
    return Fn.jsonencode(this.ecrRegistries.length > 0 ? { auths, credHelpers: helpers } : { auths });
  }

  /**
   * The DOCKER_AUTH_CONFIG variable: raw (JSON must not be expanded), masked
   * and hidden when it holds a secret, protected as configured.
   */
  public toVariable(options: DockerAuthVariableOptions = {}): CiVariableOptions {
    const secret = this.containsSecret;
    return {
      key: DOCKER_AUTH_CONFIG,
      value: this.render(),
      raw: true,
      masked: secret,
      hidden: secret && (options.hidden ?? true),
      protected: options.protected ?? false,
      environmentScope: options.environmentScope ?? "*",
      description: secret ? "Registry credentials for job images (credHelpers and auths); managed by Terraform" : "Registry credential helpers for job images; managed by Terraform",
    };
  }
}

/** Checks static credentials: the password is a token, literal parts have no white space (so the masked raw value stays valid). */
export function validateStaticCredentials(path: string, creds: RegistryCredentials): void {
  check(isUnresolved(creds.password), {
    path,
    subject: "password",
    value: "<literal, hidden>",
    rule: "a registry password must not be a literal: it would be written in clear into the synthesized Terraform JSON",
    fix: "declare a sensitive TerraformVariable at stack level (or use a resource attribute such as gitlab_deploy_token.token) and pass its token",
  });
  if (!isUnresolved(creds.username)) {
    check(creds.username.length > 0 && !/[\s:]/.test(creds.username), {
      path,
      subject: "username",
      value: creds.username,
      rule: "a registry user name is non-empty without white space or ':' (auth is base64 of user:password, and the masked value must hold no white space)",
      fix: "use the registry's user name as given by the registry",
    });
  }
}

/** Checks that a deploy token can pull images: it needs the `read_registry` scope. */
export function validateDeployTokenForPull(path: string, token: DeployTokenCredentials): void {
  check(token.scopes.includes(READ_REGISTRY_SCOPE), {
    path,
    subject: "deploy token scopes",
    value: token.scopes,
    rule: `a deploy token used in DOCKER_AUTH_CONFIG pulls job images, which needs the ${READ_REGISTRY_SCOPE} scope`,
    fix: `create the token with scopes ["${READ_REGISTRY_SCOPE}"] (add "write_registry" only for tokens that push)`,
  });
}
