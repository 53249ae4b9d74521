/*
 * The SSM calls that return a parameter's value, as IAM authorizes them. A role that may make any
 * of them on the parameter (and decrypt through SSM) reads the secret.
 *
 * Sources (AWS Service Authorization Reference, "Actions defined by AWS Systems Manager"):
 * `GetParameter`, `GetParameters` and `GetParameterHistory` are authorized on the parameter's own
 * ARN; `GetParametersByPath` on the ARN of the requested path (`parameter/<path>`), and returns
 * every parameter below it (with `Recursive`), so a grant on any ancestor path reads the parameter.
 * All four decrypt SecureStrings with `WithDecryption`, through the same `kms:Decrypt` via SSM with
 * the `PARAMETER_ARN` encryption context.
 */

/** Actions authorized on the parameter's own ARN that return its value. */
export const PARAMETER_VALUE_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"] as const;

/**
 * Every (action, resource) IAM request that returns the value of the parameter `arn`
 * (`arn:aws:ssm:<region>:<account>:parameter/<name>`): the value actions on the ARN, and
 * `ssm:GetParametersByPath` on each ancestor path (`parameter/a`, `parameter/a/b` for `/a/b/c`,
 * and the root `parameter/`).
 */
export function parameterReadRequests(arn: string): { readonly action: string; readonly resource: string }[] {
  const match = /^(arn:aws:ssm:[^:]*:[^:]*:parameter\/)(.*)$/.exec(arn);
  if (match === null) throw new Error(`attack-path model: ${arn} is not an SSM parameter ARN`);
  const [, prefix, name] = match as unknown as [string, string, string];
  const segments = name.split("/");
  const ancestors = [prefix, ...segments.slice(0, -1).map((_, i) => `${prefix}${segments.slice(0, i + 1).join("/")}`)];
  return [
    ...PARAMETER_VALUE_ACTIONS.map((action) => ({ action, resource: arn })),
    ...ancestors.map((resource) => ({ action: "ssm:GetParametersByPath", resource })),
  ];
}

/** Whether `allows(action, resource)` admits any request that returns the parameter's value. */
export const mayReadParameter = (arn: string, allows: (action: string, resource: string) => boolean): boolean =>
  parameterReadRequests(arn).some(({ action, resource }) => allows(action, resource));
