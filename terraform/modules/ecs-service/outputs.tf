output "service_connect_per_request_timeout_seconds" {
  description = "Service Connect per-request timeout of the service (null: the proxy's default, TCP services)"
  value       = one([for s in aws_ecs_service.this.service_connect_configuration[0].service : one([for t in s.timeout : t.per_request_timeout_seconds])])
}

output "service_name" {
  description = "Name of the ECS service"
  value       = aws_ecs_service.this.name
}

output "service_arn" {
  description = "ARN of the ECS service"
  value       = aws_ecs_service.this.arn
}

output "task_definition_arn" {
  description = "ARN of the task definition revision in use"
  value       = aws_ecs_task_definition.this.arn
}

output "container_definition" {
  description = "The container definition as sent to ECS (environment, secrets, health check)"
  value       = local.container
}

output "autoscaling_policy_names" {
  description = "Target-tracking policies attached (empty without autoscaling)"
  value       = concat(aws_appautoscaling_policy.cpu[*].name, aws_appautoscaling_policy.memory[*].name)
}
