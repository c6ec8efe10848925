variable "name" {
  description = "ECS service and task definition family name"
  type        = string
}

variable "cluster_name" {
  description = "Name of the ECS cluster to run the service in"
  type        = string
}

variable "capacity_provider_name" {
  description = "Capacity provider (EC2 Auto Scaling group) the tasks are placed on"
  type        = string
}

variable "aws_region" {
  description = "Region of the CloudWatch log group"
  type        = string
}

variable "container_name" {
  description = "Name of the single container in the task"
  type        = string
}

variable "image" {
  description = "Container image reference, e.g. portkeyai/gateway_enterprise:latest"
  type        = string
}

variable "repository_credentials_arn" {
  description = "Secrets Manager ARN of private registry credentials ({\"username\":...,\"password\":...}); null for public images"
  type        = string
  default     = null
}

variable "cpu" {
  description = "Task CPU units (1024 = 1 vCPU)"
  type        = number
}

variable "memory" {
  description = "Task memory in MiB"
  type        = number
}

variable "desired_count" {
  description = "Number of tasks when the service is created; autoscaling owns it afterwards"
  type        = number
}

variable "container_port" {
  description = "Port the container listens on; also the Service Connect port"
  type        = number
}

variable "app_protocol" {
  description = "Service Connect application protocol (http, http2, grpc) or null for plain TCP"
  type        = string
  default     = null
}

variable "service_connect_namespace_arn" {
  description = "Cloud Map namespace of Service Connect"
  type        = string
}

variable "service_connect_dns_name" {
  description = "Name other services use to reach this one (gateway, data-service, redis)"
  type        = string
}

variable "environment" {
  description = "Plain environment variables of the container"
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager: name => valueFrom ARN (optionally :JSON_KEY::)"
  type        = map(string)
  default     = {}
}

variable "command" {
  description = "Container command; null keeps the image's"
  type        = list(string)
  default     = null
}

variable "health_check_command" {
  description = "Container health check command, e.g. [\"CMD\", \"redis-cli\", \"ping\"]"
  type        = list(string)
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL; the gateway drains in-flight streams in this time"
  type        = number
  default     = 30
}

variable "execution_role_arn" {
  description = "Task execution role (image pull, secrets, logs)"
  type        = string
}

variable "task_role_arn" {
  description = "Task role the application runs as; null for none"
  type        = string
  default     = null
}

variable "log_group_name" {
  description = "CloudWatch log group of the container"
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the task ENIs (awsvpc)"
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the task ENIs"
  type        = list(string)
}

variable "load_balancer" {
  description = "NLB wiring: target group, and for blue/green the alternate target group, production and test listener ARNs and the ECS infrastructure role"
  type = object({
    target_group_arn           = string
    alternate_target_group_arn = optional(string)
    production_listener_arn    = optional(string)
    test_listener_arn          = optional(string)
    infrastructure_role_arn    = optional(string)
  })
  default = null
}

variable "enable_blue_green" {
  description = "Use the ECS-native BLUE_GREEN deployment strategy (needs load_balancer with the blue/green fields)"
  type        = bool
  default     = false

  validation {
    condition = !var.enable_blue_green || (
      var.load_balancer != null &&
      try(var.load_balancer.alternate_target_group_arn != null, false) &&
      try(var.load_balancer.production_listener_arn != null, false) &&
      try(var.load_balancer.infrastructure_role_arn != null, false)
    )
    error_message = "enable_blue_green needs load_balancer with alternate_target_group_arn, production_listener_arn and infrastructure_role_arn."
  }
}

variable "bake_time_in_minutes" {
  description = "Blue/green: minutes both revisions run after the traffic shift before the old one stops"
  type        = number
  default     = 5
}

variable "health_check_grace_period_seconds" {
  description = "Seconds load balancer health checks are ignored after a task starts"
  type        = number
  default     = 60
}

variable "enable_autoscaling" {
  description = "Attach target-tracking autoscaling on CPU and/or memory"
  type        = bool
  default     = false
}

variable "min_capacity" {
  description = "Autoscaling minimum task count"
  type        = number
  default     = 1
}

variable "max_capacity" {
  description = "Autoscaling maximum task count"
  type        = number
  default     = 3
}

variable "target_cpu_utilization" {
  description = "Average CPU % to track; null for no CPU policy"
  type        = number
  default     = null
}

variable "target_memory_utilization" {
  description = "Average memory % to track; null for no memory policy"
  type        = number
  default     = null
}

variable "scale_in_cooldown" {
  description = "Seconds after a scale-in before the next scale-in"
  type        = number
  default     = 120
}

variable "scale_out_cooldown" {
  description = "Seconds after a scale-out before the next scale-out"
  type        = number
  default     = 60
}
