resource "aws_cloudwatch_log_group" "gateway" {
  name              = "/ecs/${local.name}/gateway"
  retention_in_days = 30
}

resource "aws_cloudwatch_log_group" "dataservice" {
  count             = var.enable_dataservice ? 1 : 0
  name              = "/ecs/${local.name}/data-service"
  retention_in_days = 30
}

resource "aws_cloudwatch_log_group" "redis" {
  count             = local.use_elasticache ? 0 : 1
  name              = "/ecs/${local.name}/redis"
  retention_in_days = 7
}
