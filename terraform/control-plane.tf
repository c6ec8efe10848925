# Optional control plane (control_plane_enabled = true): one ECS service on 8788, reachable inside the
# namespace as http://control-plane:8788, on a PostgreSQL database: a new RDS instance whose master password
# RDS keeps in Secrets Manager (never in terraform state), or an existing database's DATABASE_URL secret.
# The gateways get CONTROL_PLANE_URL and sync from it with the PORTKEY_CLIENT_AUTH and ORGANISATIONS_TO_SYNC
# they already have; the control plane gets the same two values as its client-auth key and organisation id.

locals {
  control_plane_port = 8788
  control_plane_dns  = "control-plane"
  control_plane_url  = "http://${local.control_plane_dns}:${local.control_plane_port}"
  control_plane_rds  = var.control_plane_enabled && var.control_plane_database_url_secret_arn == ""

  control_plane_health_check = "fetch('http://127.0.0.1:' + (process.env.CONTROL_PLANE_PORT || 8788) + '/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

  control_plane_base_environment = merge(
    {
      HOST               = "0.0.0.0"
      CONTROL_PLANE_PORT = tostring(local.control_plane_port)
      # Its console reads logs and runs the playground through the gateway (Service Connect).
      GATEWAY_URL = "http://${local.gateway_dns}:${local.gateway_port}"
    },
    # The password comes from RDS's own secret as PGUSER/PGPASSWORD, which the pg driver reads when the
    # URL has none. TLS without CA verification: the traffic stays in the VPC (see docs/deployment.md).
    local.control_plane_rds ? tomap({
      DATABASE_URL = "postgres://${aws_db_instance.control_plane[0].endpoint}/${aws_db_instance.control_plane[0].db_name}?sslmode=no-verify"
    }) : tomap({}),
  )

  control_plane_secrets = merge(
    # Its organisation and client-auth key are the gateways' (secrets.json "gateway").
    { for k, v in { PORTKEY_CLIENT_AUTH = "PORTKEY_CLIENT_AUTH", ORGANISATION_ID = "ORGANISATIONS_TO_SYNC" } : k => local.gateway_secrets[v] if contains(keys(local.gateway_secrets), v) },
    { for k, v in try(local.secrets["control-plane"], {}) : k => length(split(":", v)) == 7 ? "${v}:${k}::" : v },
    {
      ADMIN_API_KEY  = var.control_plane_admin_api_key_secret_arn
      ENCRYPTION_KEY = var.control_plane_encryption_key_secret_arn
    },
    local.control_plane_rds ? tomap({
      PGUSER     = "${aws_db_instance.control_plane[0].master_user_secret[0].secret_arn}:username::"
      PGPASSWORD = "${aws_db_instance.control_plane[0].master_user_secret[0].secret_arn}:password::"
      }) : tomap({
      DATABASE_URL = var.control_plane_database_url_secret_arn
    }),
  )

  # Unlike the gateway's, empty values are kept (the control plane reads "" as unset): filtering on a value
  # would make the variable names unknown until the database exists.
  control_plane_environment = {
    for k, v in merge(local.control_plane_base_environment, try(local.extra_environment["control-plane"], {})) :
    k => tostring(v) if !contains(keys(local.control_plane_secrets), k)
  }

  # Secrets the execution role reads for the control plane (bare ARNs, first 7 fields).
  control_plane_secret_arns = var.control_plane_enabled ? distinct([
    for ref in values(local.control_plane_secrets) : join(":", slice(split(":", ref), 0, 7))
  ]) : []
}

resource "aws_cloudwatch_log_group" "control_plane" {
  count             = var.control_plane_enabled ? 1 : 0
  name              = "/ecs/${local.name}/control-plane"
  retention_in_days = 30
}

# ---------------------------------------------------------------- database

resource "aws_security_group" "control_plane_db" {
  count       = local.control_plane_rds ? 1 : 0
  name_prefix = "${local.name}-cp-db-"
  description = "PostgreSQL of the ${local.name} control plane: only from its tasks"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "control_plane_db" {
  count                        = local.control_plane_rds ? 1 : 0
  security_group_id            = aws_security_group.control_plane_db[0].id
  description                  = "PostgreSQL from the ECS tasks"
  ip_protocol                  = "tcp"
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_subnet_group" "control_plane" {
  count       = local.control_plane_rds ? 1 : 0
  name_prefix = "${local.name}-cp-"
  description = "Private subnets of the ${local.name} control plane database"
  subnet_ids  = local.private_subnet_ids
}

resource "aws_db_instance" "control_plane" {
  count                       = local.control_plane_rds ? 1 : 0
  identifier_prefix           = "${local.name}-cp-"
  engine                      = "postgres"
  engine_version              = var.control_plane_db_engine_version
  instance_class              = var.control_plane_db_instance_class
  allocated_storage           = var.control_plane_db_allocated_storage
  storage_type                = "gp3"
  storage_encrypted           = true
  db_name                     = "portico"
  username                    = "portico"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.control_plane[0].name
  vpc_security_group_ids      = [aws_security_group.control_plane_db[0].id]
  publicly_accessible         = false
  multi_az                    = var.control_plane_db_multi_az
  backup_retention_period     = 7
  deletion_protection         = var.control_plane_db_deletion_protection
  skip_final_snapshot         = false
  final_snapshot_identifier   = "${local.name}-control-plane-final"
  auto_minor_version_upgrade  = true
}

# ---------------------------------------------------------------- service

module "control_plane" {
  source = "./modules/ecs-service"
  count  = var.control_plane_enabled ? 1 : 0

  name                          = "${local.name}-control-plane"
  cluster_name                  = local.cluster_name
  capacity_provider_name        = local.capacity_provider_name
  aws_region                    = var.aws_region
  container_name                = "control-plane"
  image                         = "${var.control_plane_image.image}:${var.control_plane_image.tag}"
  repository_credentials_arn    = local.in_ecr.control_plane ? null : local.repository_credentials_arn
  cpu                           = var.control_plane_cpu
  memory                        = var.control_plane_memory
  desired_count                 = var.control_plane_desired_task
  container_port                = local.control_plane_port
  app_protocol                  = "http"
  service_connect_namespace_arn = aws_service_discovery_http_namespace.this.arn
  service_connect_dns_name      = local.control_plane_dns
  environment                   = local.control_plane_environment
  secrets                       = local.control_plane_secrets
  health_check_command          = ["CMD", "node", "-e", local.control_plane_health_check]
  execution_role_arn            = aws_iam_role.execution.arn
  log_group_name                = aws_cloudwatch_log_group.control_plane[0].name
  subnet_ids                    = local.private_subnet_ids
  security_group_ids            = [aws_security_group.tasks.id]

  depends_on = [aws_ecs_cluster_capacity_providers.this, aws_iam_role_policy.execution_secrets]
}
