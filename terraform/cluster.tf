# A new ECS cluster backed by an EC2 Auto Scaling group capacity provider (create_cluster = true), or an
# existing cluster and capacity provider by name. The AMI is the ECS-optimised Amazon Linux 2023 image of
# the architecture instance_type needs: arm64 for Graviton families (t4g, m7g, c7gn, r8g, a1 ...), else x86_64.

locals {
  instance_family = split(".", var.instance_type)[0]
  # Graviton families have a "g" after the generation digit (t4g, m6gd, c7gn, x2gd, im4gn, is4gen, g5g).
  instance_arch = can(regex("^(a1|[a-z]+[0-9]+[a-z]*g[a-z]*)$", local.instance_family)) ? "arm64" : "x86_64"
  ecs_ami_parameter = (local.instance_arch == "arm64"
    ? "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
  : "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")

  # Task capacity. Each awsvpc task takes an ENI of its instance, and the instance keeps one for itself:
  # without ENI trunking an instance runs (maximum ENIs - 1) tasks. A deployment (rolling at 200% or
  # blue/green) briefly runs every service twice, so the cluster must hold twice the services' maxima.
  tasks_per_instance = var.create_cluster ? max(data.aws_ec2_instance_type.ecs[0].maximum_network_interfaces - 1, 0) : 0
  service_task_maximum = (
    (var.gateway_enable_autoscaling ? var.gateway_max_capacity : var.gateway_desired_task)
    + (var.enable_dataservice ? (var.dataservice_enable_autoscaling ? var.dataservice_max_capacity : var.dataservice_desired_task) : 0)
    + (local.use_elasticache ? 0 : 1)
    + (var.control_plane_enabled ? var.control_plane_desired_task : 0)
  )
  deployment_task_peak = 2 * local.service_task_maximum

  cluster_name           = var.create_cluster ? aws_ecs_cluster.this[0].name : var.cluster_name
  capacity_provider_name = var.create_cluster ? aws_ecs_capacity_provider.this[0].name : var.capacity_provider_name
}

resource "aws_service_discovery_http_namespace" "this" {
  name        = "${local.name}.internal"
  description = "Service Connect namespace of ${local.name}: gateway, data-service, redis"
}

resource "aws_ecs_cluster" "this" {
  count = var.create_cluster ? 1 : 0
  name  = "${local.name}-cluster"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  service_connect_defaults {
    namespace = aws_service_discovery_http_namespace.this.arn
  }
}

data "aws_ec2_instance_type" "ecs" {
  count         = var.create_cluster ? 1 : 0
  instance_type = var.instance_type
}

data "aws_ssm_parameter" "ecs_ami" {
  count = var.create_cluster ? 1 : 0
  name  = local.ecs_ami_parameter
}

resource "aws_security_group" "ecs_instances" {
  count       = var.create_cluster ? 1 : 0
  name_prefix = "${local.name}-ecs-instances-"
  description = "ECS container instances of ${local.name}; tasks use their own ENIs (awsvpc)"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "ecs_instances_all" {
  count             = var.create_cluster ? 1 : 0
  security_group_id = aws_security_group.ecs_instances[0].id
  description       = "ECS agent, image pulls, SSM"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_launch_template" "ecs" {
  count                  = var.create_cluster ? 1 : 0
  name_prefix            = "${local.name}-ecs-"
  image_id               = data.aws_ssm_parameter.ecs_ami[0].insecure_value
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.ecs_instances[0].id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.ecs_instance[0].arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    cat >> /etc/ecs/ecs.config <<CONFIG
    ECS_CLUSTER=${aws_ecs_cluster.this[0].name}
    ECS_AWSVPC_BLOCK_IMDS=true
    ECS_ENABLE_CONTAINER_METADATA=true
    CONFIG
  EOT
  )

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${local.name}-ecs" }
  }
}

resource "aws_autoscaling_group" "ecs" {
  count               = var.create_cluster ? 1 : 0
  name_prefix         = "${local.name}-ecs-"
  vpc_zone_identifier = local.private_subnet_ids
  min_size            = var.min_asg_size
  max_size            = var.max_asg_size
  desired_capacity    = var.desired_asg_size

  launch_template {
    id      = aws_launch_template.ecs[0].id
    version = "$Latest"
  }

  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  lifecycle {
    # The capacity provider's managed scaling owns the desired size after creation.
    ignore_changes = [desired_capacity]

    precondition {
      # Sizes out of order are desired_asg_size's validation error already; this one would only repeat it.
      condition     = var.desired_asg_size > var.max_asg_size || var.max_asg_size * local.tasks_per_instance >= local.deployment_task_peak
      error_message = "The cluster cannot hold a deployment: ${var.max_asg_size} instance(s) of ${var.instance_type} run ${var.max_asg_size * local.tasks_per_instance} awsvpc task(s) (${local.tasks_per_instance} each: its ENIs minus one), but a deployment runs every service twice, ${local.deployment_task_peak} tasks. Raise max_asg_size, choose an instance type with more ENIs, or lower the services' task maxima."
    }
  }
}

resource "aws_ecs_capacity_provider" "this" {
  count = var.create_cluster ? 1 : 0
  name  = "${local.name}-asg"

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.ecs[0].arn
    managed_termination_protection = "DISABLED"

    managed_scaling {
      status                    = "ENABLED"
      target_capacity           = var.target_capacity
      minimum_scaling_step_size = 1
      maximum_scaling_step_size = 2
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  count              = var.create_cluster ? 1 : 0
  cluster_name       = aws_ecs_cluster.this[0].name
  capacity_providers = [aws_ecs_capacity_provider.this[0].name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.this[0].name
    weight            = 1
    base              = 0
  }
}
