# Group variables whose value names one of the stack's ECR repositories (by name, or by a
# Terraform reference to an aws_ecr_repository), per stack: what would send every project of the
# group to one tenant's repository. Expected: [].
[inputs
 | ([.resource.aws_ecr_repository // {} | .[] | .name]) as $repositories
 | .resource.gitlab_group_variable // {} | .[]
 | select(.value as $v | ($v | test("aws_ecr_repository\\.")) or any($repositories[]; . as $r | $v | contains($r)))
 | { group, key, value }]
