# Runners that take untagged jobs (run with -n over the staging and production stacks' JSON).
[inputs | (.resource.gitlab_user_runner // {})[] | select(.untagged == true) | .description]
