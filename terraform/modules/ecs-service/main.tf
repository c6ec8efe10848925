# One ECS service with one container on an EC2 capacity provider (awsvpc), registered in Service Connect
# under service_connect_dns_name:container_port, optionally behind an NLB target group (rolling or
# ECS-native blue/green) and with target-tracking autoscaling.

locals {
  port_name = "${var.service_connect_dns_name}-${var.container_port}"

  container = merge(
    {
      name         = var.container_name
      image        = var.image
      essential    = true
      stopTimeout  = var.stop_timeout
      portMappings = [merge({ name = local.port_name, containerPort = var.container_port, protocol = "tcp" }, var.app_protocol == null ? {} : { appProtocol = var.app_protocol })]
      environment  = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
      secrets      = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
      ulimits      = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]
      healthCheck  = { command = var.health_check_command, interval = 15, timeout = 5, retries = 3, startPeriod = 30 }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = var.container_name
        }
      }
    },
    var.repository_credentials_arn == null ? {} : { repositoryCredentials = { credentialsParameter = var.repository_credentials_arn } },
    var.command == null ? {} : { command = var.command },
  )
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  network_mode             = "awsvpc"
  requires_compatibilities = ["EC2"]
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  container_definitions    = jsonencode([local.container])
}

resource "aws_ecs_service" "this" {
  name                              = var.name
  cluster                           = var.cluster_name
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  health_check_grace_period_seconds = var.load_balancer == null ? null : var.health_check_grace_period_seconds
  enable_execute_command            = false
  propagate_tags                    = "SERVICE"

  capacity_provider_strategy {
    capacity_provider = var.capacity_provider_name
    weight            = 1
    base              = 0
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  deployment_controller {
    type = "ECS"
  }

  deployment_configuration {
    strategy             = var.enable_blue_green ? "BLUE_GREEN" : "ROLLING"
    bake_time_in_minutes = var.enable_blue_green ? tostring(var.bake_time_in_minutes) : null
  }

  dynamic "deployment_circuit_breaker" {
    for_each = var.enable_blue_green ? [] : [1]
    content {
      enable   = true
      rollback = true
    }
  }

  dynamic "load_balancer" {
    for_each = var.load_balancer == null ? [] : [var.load_balancer]
    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = var.container_name
      container_port   = var.container_port

      dynamic "advanced_configuration" {
        for_each = var.enable_blue_green ? [load_balancer.value] : []
        content {
          alternate_target_group_arn = advanced_configuration.value.alternate_target_group_arn
          production_listener_rule   = advanced_configuration.value.production_listener_arn
          test_listener_rule         = advanced_configuration.value.test_listener_arn
          role_arn                   = advanced_configuration.value.infrastructure_role_arn
        }
      }
    }
  }

  service_connect_configuration {
    enabled   = true
    namespace = var.service_connect_namespace_arn

    service {
      port_name      = local.port_name
      discovery_name = var.service_connect_dns_name

      client_alias {
        dns_name = var.service_connect_dns_name
        port     = var.container_port
      }

      # Service Connect's default 15 s per-request timeout would cut long LLM calls and streams made
      # through the proxy; 0 turns it off (HTTP services only: TCP services have no per-request timeout).
      dynamic "timeout" {
        for_each = var.app_protocol == null ? [] : [1]
        content {
          per_request_timeout_seconds = 0
        }
      }
    }
  }

  lifecycle {
    # Autoscaling (or an operator) owns the task count once the service exists.
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "this" {
  count              = var.enable_autoscaling ? 1 : 0
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = var.enable_autoscaling && var.target_cpu_utilization != null ? 1 : 0
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.target_cpu_utilization
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  count              = var.enable_autoscaling && var.target_memory_utilization != null ? 1 : 0
  name               = "${var.name}-memory"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.target_memory_utilization
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}
