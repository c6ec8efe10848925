output "nlb_dns_name" {
  description = "DNS name of the gateway's Network Load Balancer (null when create_nlb = false)"
  value       = try(aws_lb.gateway[0].dns_name, null)
}

output "nlb_listener_port" {
  description = "Production listener port: 443 with TLS, else 80 (null when create_nlb = false)"
  value       = var.create_nlb ? local.nlb_listener_port : null
}

output "nlb_test_listener_port" {
  description = "Blue/green test listener port (null unless enable_blue_green = true)"
  value       = try(aws_lb_listener.gateway_test[0].port, null)
}

output "gateway_url" {
  description = "Base URL of the gateway through the NLB"
  value       = try("${local.nlb_tls ? "https" : "http"}://${aws_lb.gateway[0].dns_name}:${local.nlb_listener_port}", null)
}

output "cluster_name" {
  description = "ECS cluster the services run in"
  value       = local.cluster_name
}

output "capacity_provider_name" {
  description = "Capacity provider the services use"
  value       = local.capacity_provider_name
}

output "ecs_instance_architecture" {
  description = "CPU architecture of the ECS-optimised AMI chosen for instance_type (arm64 or x86_64)"
  value       = local.instance_arch
}

output "vpc_id" {
  description = "VPC of the deployment"
  value       = local.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets of the tasks"
  value       = local.private_subnet_ids
}

output "public_subnet_ids" {
  description = "Public subnets (internet-facing NLB)"
  value       = local.public_subnet_ids
}

output "service_connect_namespace_arn" {
  description = "Cloud Map namespace of the Service Connect names gateway, data-service and redis"
  value       = aws_service_discovery_http_namespace.this.arn
}

output "gateway_service_name" {
  description = "ECS service of the gateway"
  value       = module.gateway.service_name
}

output "dataservice_service_name" {
  description = "ECS service of the data service (null unless enable_dataservice = true)"
  value       = try(module.dataservice[0].service_name, null)
}

output "redis_service_name" {
  description = "ECS service of the built-in Redis (null with ElastiCache)"
  value       = try(module.redis[0].service_name, null)
}

output "redis_url" {
  description = "REDIS_URL the services receive"
  value       = local.redis_url
}

output "log_group_names" {
  description = "CloudWatch log groups of the services"
  value = compact([
    aws_cloudwatch_log_group.gateway.name,
    try(aws_cloudwatch_log_group.control_plane[0].name, ""),
    try(aws_cloudwatch_log_group.dataservice[0].name, ""),
    try(aws_cloudwatch_log_group.redis[0].name, ""),
  ])
}

output "control_plane_service_name" {
  description = "ECS service of the control plane (null unless control_plane_enabled = true)"
  value       = try(module.control_plane[0].service_name, null)
}

output "control_plane_url" {
  description = "URL the gateways reach the control plane at (Service Connect; null unless control_plane_enabled = true)"
  value       = var.control_plane_enabled ? local.control_plane_url : null
}

output "control_plane_database_secret_arn" {
  description = "Secrets Manager secret RDS keeps the control plane database's master user and password in (null without a new RDS instance)"
  value       = try(aws_db_instance.control_plane[0].master_user_secret[0].secret_arn, null)
}

output "tasks_security_group_id" {
  description = "Security group of the service tasks. To use an existing ElastiCache, allow TCP 6379 from this group in the cache's security group"
  value       = aws_security_group.tasks.id
}

output "execution_role_arn" {
  description = "Task execution role (reads the secrets and Docker credentials)"
  value       = aws_iam_role.execution.arn
}

output "gateway_task_role_arn" {
  description = "Task role of the gateway (buckets, their KMS key, Bedrock when enabled)"
  value       = aws_iam_role.gateway_task.arn
}
