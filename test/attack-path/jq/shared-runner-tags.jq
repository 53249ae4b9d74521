# Runner tags registered by more than one environment stack (run with -n over every stack's JSON).
[inputs | [(.resource.gitlab_user_runner // {})[] | .tag_list[]?] | unique] | (add // []) | group_by(.) | map(select(length > 1) | .[0])
