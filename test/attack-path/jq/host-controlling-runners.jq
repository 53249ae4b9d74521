# Runners whose hosts bind the docker socket or run jobs privileged, with their access level
# (run per stack). The launch template's user data holds config.toml ([[runners]] blocks with a
# token placeholder) and fleet.env (placeholder index -> token parameter name); the parameter's
# value names the gitlab_user_runner.
(.resource.aws_ssm_parameter // {}) as $params
| (.resource.gitlab_user_runner // {}) as $runners
| [ (.resource.aws_launch_template // {})[] | .user_data as $ud
    | ($ud | split("[[runners]]")[1:][] | select(test("docker\\.sock") or test("privileged = true")) | capture("@@RUNNER_TOKEN_(?<i>[0-9]+)@@").i) as $i
    | ($ud | capture("RUNNER_TOKEN_PARAMETER_" + $i + "=(?<p>[^\\\\]+)").p) as $name
    | $params[] | select(.name == $name) | .value | capture("gitlab_user_runner\\.(?<r>[^.]+)\\.token").r
    | $runners[.] | {description, access_level} ]
