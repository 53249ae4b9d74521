# Refs a CI role trusts that nothing protects. Run with -n over every stack's JSON
# (cdktf.out/stacks/*/cdk.tf.json). A trusted ref is the ref of a `<host>:sub` condition in a
# role's trust policy (project_path:<p>:ref_type:<branch|tag>:ref:<r>, either order of the ref
# parts, r not "*"); it is covered by a gitlab_branch_protection / gitlab_tag_protection of that
# project and name in any stack, or by a plan-time check (a protected branches / tags data source
# whose postcondition names it). Prints the uncovered ones as "<project> <type> <ref>".
def project_of($projects): capture("data\\.gitlab_project\\.(?<id>[^.]+)\\.id").id as $id | $projects[$id].path_with_namespace;
def subs: (.StringEquals // {}), (.StringLike // {}) | to_entries[] | select(.key | endswith(":sub")) | .value | if type == "array" then .[] else . end;
def parsed: (capture("^project_path:(?<project>[^:]+):ref_type:(?<type>branch|tag):ref:(?<ref>.+)$")
             // capture("^project_path:(?<project>[^:]+):ref:(?<ref>[^:]+):ref_type:(?<type>branch|tag)$"));
[inputs] as $stacks
| [ $stacks[]
    | (.data.gitlab_project // {}) as $projects
    | ((.resource.gitlab_branch_protection // {})[] | {project: (.project | project_of($projects)), type: "branch", ref: .branch}),
      ((.resource.gitlab_tag_protection // {})[] | {project: (.project | project_of($projects)), type: "tag", ref: .tag}),
      ((.data.gitlab_project_protected_branches // {})[] | (.project_id | project_of($projects)) as $p
        | .lifecycle.postcondition[]?.condition | capture("self\\.protected_branches : b\\.name\\], \"(?<ref>[^\"]+)\"\\)") | {project: $p, type: "branch", ref}),
      ((.data.gitlab_project_protected_tags // {})[] | (.project | project_of($projects)) as $p
        | .lifecycle.postcondition[]?.condition | capture("self\\.protected_tags : t\\.tag\\], \"(?<ref>[^\"]+)\"\\)") | {project: $p, type: "tag", ref})
  ] as $covered
| [ $stacks[] | (.resource.aws_iam_role // {})[] | .assume_role_policy | fromjson | .Statement[] | (.Condition // {}) | subs
    | parsed | select(.ref != "*") | {project, type, ref} ]
| unique
| map(select(. as $t | any($covered[]; . == $t) | not) | "\(.project) \(.type) \(.ref)")
