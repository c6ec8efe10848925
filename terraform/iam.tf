# Least privilege: the execution role reads exactly the secrets listed in secrets.json plus the Docker
# credentials; the task roles reach exactly the buckets in object_storage (and their KMS key), and only the
# gateway's reaches Bedrock, when asked.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# ---------------------------------------------------------------- container instances

data "aws_iam_policy_document" "ec2_assume" {
  count = var.create_cluster ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ecs_instance" {
  count              = var.create_cluster ? 1 : 0
  name_prefix        = "${substr(local.name, 0, 24)}-ec2-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume[0].json
}

resource "aws_iam_role_policy_attachment" "ecs_instance" {
  for_each = var.create_cluster ? toset([
    "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
  ]) : toset([])
  role       = aws_iam_role.ecs_instance[0].name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "ecs_instance" {
  count       = var.create_cluster ? 1 : 0
  name_prefix = "${substr(local.name, 0, 24)}-ec2-"
  role        = aws_iam_role.ecs_instance[0].name
}

# ---------------------------------------------------------------- task execution role

resource "aws_iam_role" "execution" {
  name_prefix        = "${substr(local.name, 0, 24)}-exec-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

locals {
  execution_secret_arns = distinct(concat(compact([var.docker_cred_secret_arn]), local.secret_arns, local.control_plane_secret_arns))
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid       = "ReadServiceSecretsAndDockerCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = local.execution_secret_arns
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  # No secrets and no registry credentials: nothing to read, and an empty statement is invalid.
  # (Decided from known values: an RDS-managed secret's ARN is only known after apply.)
  count  = var.docker_cred_secret_arn != "" || length(local.secret_arns) > 0 || var.control_plane_enabled ? 1 : 0
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json

  lifecycle {
    precondition {
      condition = alltrue([
        for ref in concat(values(local.gateway_secrets), values(local.dataservice_secrets)) :
        can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^:]+", ref))
      ])
      error_message = "Every value in secrets.json must be a full Secrets Manager ARN, optionally followed by :JSON_KEY:: (see environments/dev/secrets.json)."
    }
  }
}

# ---------------------------------------------------------------- task roles

# What both services' task roles need: the configured buckets, and their KMS key when they use SSE-KMS.
locals {
  bucket_statements = length(local.buckets) == 0 ? [] : [
    {
      sid       = "ListConfiguredBuckets"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [for b in local.buckets : "arn:${data.aws_partition.current.partition}:s3:::${b}"]
    },
    {
      sid       = "ReadWriteConfiguredBucketObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
      resources = [for b in local.buckets : "arn:${data.aws_partition.current.partition}:s3:::${b}/*"]
    },
  ]
  kms_statements = var.object_storage.kms_key_arn == "" || length(local.buckets) == 0 ? [] : [
    {
      sid       = "UseTheBucketsKmsKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.object_storage.kms_key_arn]
    },
  ]
  # Bedrock only for the gateway, and only when asked: the data service never calls models.
  bedrock_statements = var.enable_bedrock_access ? [
    {
      sid       = "InvokeBedrockModels"
      actions   = ["bedrock:InvokeModel*"]
      resources = ["*"]
    },
  ] : []
  gateway_statements     = concat(local.bucket_statements, local.kms_statements, local.bedrock_statements)
  dataservice_statements = concat(local.bucket_statements, local.kms_statements)
}

data "aws_iam_policy_document" "gateway_access" {
  dynamic "statement" {
    for_each = local.gateway_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

data "aws_iam_policy_document" "dataservice_access" {
  dynamic "statement" {
    for_each = local.dataservice_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role" "gateway_task" {
  name_prefix        = "${substr(local.name, 0, 24)}-gw-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "gateway_task" {
  count  = length(local.gateway_statements) > 0 ? 1 : 0
  name   = "buckets-and-bedrock"
  role   = aws_iam_role.gateway_task.id
  policy = data.aws_iam_policy_document.gateway_access.json
}

# No Bedrock and no iam:PassRole, even with dataservice_bedrock_finetune_role_arn set: the data service
# calls Bedrock's CreateModelCustomizationJob with the caller's own AWS credentials (portkey_options), so
# Bedrock checks iam:PassRole on the fine-tuning role against the caller, never against this task role.
resource "aws_iam_role" "dataservice_task" {
  count              = var.enable_dataservice ? 1 : 0
  name_prefix        = "${substr(local.name, 0, 24)}-ds-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  lifecycle {
    # Checked here, before the service exists: it would make the data service fail later.
    precondition {
      condition     = !var.control_plane_enabled || alltrue([for k in ["PORTKEY_CLIENT_AUTH", "ORGANISATIONS_TO_SYNC"] : contains(concat(keys(local.dataservice_secrets), keys(local.dataservice_environment)), k)])
      error_message = "With control_plane_enabled the data service checks callers' keys with the control plane and needs PORTKEY_CLIENT_AUTH and ORGANISATIONS_TO_SYNC: put them in secrets.json under \"gateway\" (it shares them) or \"data-service\"."
    }
  }
}

resource "aws_iam_role_policy" "dataservice_task" {
  count  = var.enable_dataservice && length(local.dataservice_statements) > 0 ? 1 : 0
  name   = "buckets"
  role   = aws_iam_role.dataservice_task[0].id
  policy = data.aws_iam_policy_document.dataservice_access.json
}

# ---------------------------------------------------------------- blue/green

data "aws_iam_policy_document" "ecs_assume" {
  count = var.enable_blue_green ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

# ECS assumes this role to move the NLB listeners between the blue and green target groups.
resource "aws_iam_role" "blue_green" {
  count              = var.enable_blue_green ? 1 : 0
  name_prefix        = "${substr(local.name, 0, 24)}-bg-"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume[0].json
}

resource "aws_iam_role_policy_attachment" "blue_green" {
  count      = var.enable_blue_green ? 1 : 0
  role       = aws_iam_role.blue_green[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
}
