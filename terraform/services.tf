# The services: gateway (8787), optional data service (8081) and the built-in Redis (6379), reachable
# from each other by their Service Connect names gateway, data-service and redis.

resource "aws_security_group" "tasks" {
  name_prefix = "${local.name}-tasks-"
  description = "ECS tasks of ${local.name} (awsvpc)"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_service_connect" {
  for_each                     = toset([tostring(local.gateway_port), tostring(local.dataservice_port), tostring(local.redis_port), tostring(local.control_plane_port)])
  security_group_id            = aws_security_group.tasks.id
  description                  = "Service Connect traffic between the services"
  ip_protocol                  = "tcp"
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_nlb" {
  count                        = var.create_nlb ? 1 : 0
  security_group_id            = aws_security_group.tasks.id
  description                  = "NLB traffic and health checks to the gateway"
  ip_protocol                  = "tcp"
  referenced_security_group_id = aws_security_group.nlb[0].id
  from_port                    = local.gateway_port
  to_port                      = local.gateway_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_all" {
  security_group_id = aws_security_group.tasks.id
  description       = "Upstream LLM providers, S3, ElastiCache, control plane"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

locals {
  # Private registry credentials only when a secret is given: images in ECR need none.
  repository_credentials_arn = var.docker_cred_secret_arn != "" ? var.docker_cred_secret_arn : null
  # ECR images are pulled with the execution role, never with the Docker credentials, so a Portico image
  # in ECR (data service, control plane) sits beside Portkey's gateway image from its registry.
  in_ecr = {
    gateway       = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.", var.gateway_image.image))
    data_service  = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.", var.data_service_image.image))
    control_plane = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.", var.control_plane_image.image))
  }
  # Docker Hub style image references; the Docker credentials are used for the gateway and data service.
  node_health_check = "fetch('http://127.0.0.1:' + process.env.PORT + '/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
}

module "gateway" {
  source = "./modules/ecs-service"

  name                          = "${local.name}-gateway"
  cluster_name                  = local.cluster_name
  capacity_provider_name        = local.capacity_provider_name
  aws_region                    = var.aws_region
  container_name                = "gateway"
  image                         = "${var.gateway_image.image}:${var.gateway_image.tag}"
  repository_credentials_arn    = local.in_ecr.gateway ? null : local.repository_credentials_arn
  cpu                           = var.gateway_cpu
  memory                        = var.gateway_memory
  desired_count                 = var.gateway_desired_task
  container_port                = local.gateway_port
  app_protocol                  = "http"
  service_connect_namespace_arn = aws_service_discovery_http_namespace.this.arn
  service_connect_dns_name      = local.gateway_dns
  environment                   = local.gateway_environment
  secrets                       = local.gateway_secrets
  health_check_command          = ["CMD", "node", "-e", local.node_health_check]
  execution_role_arn            = aws_iam_role.execution.arn
  task_role_arn                 = aws_iam_role.gateway_task.arn
  log_group_name                = aws_cloudwatch_log_group.gateway.name
  subnet_ids                    = local.private_subnet_ids
  security_group_ids            = [aws_security_group.tasks.id]

  load_balancer = var.create_nlb ? {
    target_group_arn           = aws_lb_target_group.gateway["blue"].arn
    alternate_target_group_arn = var.enable_blue_green ? aws_lb_target_group.gateway["green"].arn : null
    production_listener_arn    = aws_lb_listener.gateway[0].arn
    test_listener_arn          = var.enable_blue_green ? aws_lb_listener.gateway_test[0].arn : null
    infrastructure_role_arn    = var.enable_blue_green ? aws_iam_role.blue_green[0].arn : null
  } : null
  enable_blue_green = var.enable_blue_green

  enable_autoscaling        = var.gateway_enable_autoscaling
  min_capacity              = var.gateway_min_capacity
  max_capacity              = var.gateway_max_capacity
  target_cpu_utilization    = var.gateway_target_cpu_utilization
  target_memory_utilization = var.gateway_target_memory_utilization
  scale_in_cooldown         = var.gateway_scale_in_cooldown
  scale_out_cooldown        = var.gateway_scale_out_cooldown

  # The execution role must be able to read the secrets before the first task starts.
  depends_on = [aws_ecs_cluster_capacity_providers.this, aws_iam_role_policy.execution_secrets, module.redis]
}

module "dataservice" {
  source = "./modules/ecs-service"
  count  = var.enable_dataservice ? 1 : 0

  name                          = "${local.name}-data-service"
  cluster_name                  = local.cluster_name
  capacity_provider_name        = local.capacity_provider_name
  aws_region                    = var.aws_region
  container_name                = "data-service"
  image                         = "${var.data_service_image.image}:${var.data_service_image.tag}"
  repository_credentials_arn    = local.in_ecr.data_service ? null : local.repository_credentials_arn
  cpu                           = var.dataservice_cpu
  memory                        = var.dataservice_memory
  desired_count                 = var.dataservice_desired_task
  container_port                = local.dataservice_port
  app_protocol                  = "http"
  service_connect_namespace_arn = aws_service_discovery_http_namespace.this.arn
  service_connect_dns_name      = local.dataservice_dns
  environment                   = local.dataservice_environment
  secrets                       = local.dataservice_secrets
  health_check_command          = ["CMD", "node", "-e", local.node_health_check]
  execution_role_arn            = aws_iam_role.execution.arn
  task_role_arn                 = aws_iam_role.dataservice_task[0].arn
  log_group_name                = aws_cloudwatch_log_group.dataservice[0].name
  subnet_ids                    = local.private_subnet_ids
  security_group_ids            = [aws_security_group.tasks.id]

  enable_autoscaling        = var.dataservice_enable_autoscaling
  min_capacity              = var.dataservice_min_capacity
  max_capacity              = var.dataservice_max_capacity
  target_cpu_utilization    = var.dataservice_target_cpu_utilization
  target_memory_utilization = var.dataservice_target_memory_utilization
  scale_in_cooldown         = var.dataservice_scale_in_cooldown
  scale_out_cooldown        = var.dataservice_scale_out_cooldown

  # The execution role must be able to read the secrets before the first task starts.
  depends_on = [aws_ecs_cluster_capacity_providers.this, aws_iam_role_policy.execution_secrets, module.redis]
}

module "redis" {
  source = "./modules/ecs-service"
  count  = local.use_elasticache ? 0 : 1

  name                          = "${local.name}-redis"
  cluster_name                  = local.cluster_name
  capacity_provider_name        = local.capacity_provider_name
  aws_region                    = var.aws_region
  container_name                = "redis"
  image                         = "${var.redis_image.image}:${var.redis_image.tag}"
  cpu                           = var.redis_cpu
  memory                        = var.redis_memory
  desired_count                 = 1
  container_port                = local.redis_port
  service_connect_namespace_arn = aws_service_discovery_http_namespace.this.arn
  service_connect_dns_name      = local.redis_dns
  # A cache, not a database: no persistence, evict least recently used keys when full.
  command              = ["redis-server", "--save", "", "--appendonly", "no", "--maxmemory", "${floor(var.redis_memory * 0.75)}mb", "--maxmemory-policy", "allkeys-lru"]
  health_check_command = ["CMD", "redis-cli", "ping"]
  execution_role_arn   = aws_iam_role.execution.arn
  log_group_name       = aws_cloudwatch_log_group.redis[0].name
  subnet_ids           = local.private_subnet_ids
  security_group_ids   = [aws_security_group.tasks.id]

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}
