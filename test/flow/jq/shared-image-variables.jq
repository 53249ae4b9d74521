# Image repository variables shared between projects, over every stack given (jq -n ... files):
# [{ value, projects }] for every PLATFORM_<ROLE>_IMAGE / _UNPROTECTED_IMAGE value that more than
# one project has. Expected: [].
[inputs | .resource.gitlab_project_variable // {} | .[] | select(.key | test("^PLATFORM_[A-Z0-9_]+_IMAGE$"))]
| group_by(.value)
| map(select((map(.project) | unique | length) > 1) | { value: .[0].value, projects: (map(.project) | unique) })
