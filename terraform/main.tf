provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_partition" "current" {}

locals {
  name = "${var.project_name}-${var.environment}"

  # ElastiCache is spelled two ways in the wild; both mean "use the endpoint in redis_endpoint".
  use_elasticache = contains(["aws-elasti-cache", "aws-elastic-cache"], var.redis_type)

  # Service Connect names: what the containers use to reach each other inside the namespace.
  gateway_port      = 8787
  dataservice_port  = 8081
  redis_port        = 6379
  gateway_dns       = "gateway"
  dataservice_dns   = "data-service"
  redis_dns         = "redis"
  dataservice_url   = "http://${local.dataservice_dns}:${local.dataservice_port}"
  redis_endpoint    = trimprefix(trimprefix(trimspace(var.redis_endpoint), "rediss://"), "redis://")
  redis_host_port   = length(regexall(":[0-9]+$", local.redis_endpoint)) > 0 ? local.redis_endpoint : "${local.redis_endpoint}:${local.redis_port}"
  redis_tls         = local.use_elasticache && var.redis_tls_enabled
  redis_url         = local.use_elasticache ? "${local.redis_tls ? "rediss" : "redis"}://${local.redis_host_port}" : "redis://${local.redis_dns}:${local.redis_port}"
  log_store_enabled = var.object_storage.log_store_bucket != ""

  # allowed_nlb_cidrs = [] means the VPC for an internal NLB and anywhere for an internet-facing one.
  nlb_ingress_cidrs = (length(var.allowed_nlb_cidrs) > 0 ? var.allowed_nlb_cidrs
  : var.internal_nlb ? [local.vpc_cidr] : ["0.0.0.0/0"])

  # environment-variables.json and secrets.json both have the keys "gateway" and "data-service" (and may have
  # "control-plane", see control-plane.tf).
  extra_environment = jsondecode(file(var.environment_variables_file_path))
  secrets           = jsondecode(file(var.secrets_file_path))

  # The environment the gateway reads (packages/gateway/src/config/settings.ts). Every key here must be a
  # setting the gateway knows; packages/deployment-checks tests that against loadSettings().
  gateway_base_environment = {
    PORT                         = tostring(local.gateway_port)
    HOST                         = "0.0.0.0"
    CACHE_STORE                  = local.use_elasticache ? "aws-elastic-cache" : "redis"
    REDIS_URL                    = local.redis_url
    REDIS_TLS_ENABLED            = local.redis_tls ? "true" : "false"
    REDIS_MODE                   = local.use_elasticache ? var.redis_mode : "standalone"
    LOG_STORE                    = local.log_store_enabled ? "s3_assume" : "none"
    LOG_STORE_REGION             = var.object_storage.bucket_region
    LOG_STORE_GENERATIONS_BUCKET = var.object_storage.log_store_bucket
    LOG_EXPORTS_BUCKET           = var.object_storage.log_exports_bucket
    FINETUNES_BUCKET             = var.object_storage.finetune_bucket
    DATASERVICE_BASEPATH         = var.enable_dataservice ? local.dataservice_url : ""
    CONTROL_PLANE_URL            = var.control_plane_enabled ? local.control_plane_url : ""
  }

  # The environment the data service reads (packages/data-service/src/config.ts); packages/deployment-checks
  # tests every key against its config schema. It listens on 8081 (PORT), runs batch lines through the
  # gateway over Service Connect, and checks callers' keys with the control plane when there is one.
  # Its job leases go to the same Redis as the gateway's state, a cluster-mode endpoint included.
  dataservice_base_environment = {
    PORT                         = tostring(local.dataservice_port)
    HOST                         = "0.0.0.0"
    GATEWAY_URL                  = "http://${local.gateway_dns}:${local.gateway_port}"
    REDIS_URL                    = local.redis_url
    REDIS_TLS_ENABLED            = local.redis_tls ? "true" : "false"
    REDIS_MODE                   = local.use_elasticache ? var.redis_mode : "standalone"
    LOG_STORE                    = local.log_store_enabled ? "s3_assume" : "none"
    LOG_STORE_REGION             = var.object_storage.bucket_region
    LOG_STORE_GENERATIONS_BUCKET = var.object_storage.log_store_bucket
    LOG_EXPORTS_BUCKET           = var.object_storage.log_exports_bucket
    FINETUNES_BUCKET             = var.object_storage.finetune_bucket
    CONTROL_PLANE_URL            = var.control_plane_enabled ? local.control_plane_url : ""
    BEDROCK_FINETUNE_ROLE_ARN    = var.dataservice_bedrock_finetune_role_arn
  }

  # A bare secret ARN (7 fields, as the ClientOrgSecretNameArn output is) would hand the whole JSON secret to
  # each variable; it gets ":<NAME>::" so each variable reads its own key of the JSON secret.
  gateway_secrets = { for k, v in try(local.secrets["gateway"], {}) : k => length(split(":", v)) == 7 ? "${v}:${k}::" : v }
  # The data service authenticates callers with the control plane as the gateways' organisation, and
  # PORTKEY_CLIENT_AUTH is also its default signing key (the same on every task): it gets the gateways'
  # two secrets unless secrets.json "data-service" names its own.
  dataservice_secrets = merge(
    { for k in ["PORTKEY_CLIENT_AUTH", "ORGANISATIONS_TO_SYNC"] : k => local.gateway_secrets[k] if contains(keys(local.gateway_secrets), k) },
    { for k, v in try(local.secrets["data-service"], {}) : k => length(split(":", v)) == 7 ? "${v}:${k}::" : v },
  )

  # Empty values are left out so the service falls back to its own default; a name set as a secret
  # is never also a plain variable (ECS rejects duplicates).
  gateway_environment = {
    for k, v in merge(local.gateway_base_environment, try(local.extra_environment["gateway"], {})) :
    k => tostring(v) if tostring(v) != "" && !contains(keys(local.gateway_secrets), k)
  }
  dataservice_environment = {
    for k, v in merge(local.dataservice_base_environment, try(local.extra_environment["data-service"], {})) :
    k => tostring(v) if tostring(v) != "" && !contains(keys(local.dataservice_secrets), k)
  }

  # secrets.json values are valueFrom references, optionally with a JSON key suffix
  # (arn:...:secret:name-AbCdEf:PORTKEY_CLIENT_AUTH::). IAM needs the bare secret ARN (first 7 fields).
  secret_arns = distinct([
    for ref in concat(values(local.gateway_secrets), var.enable_dataservice ? values(local.dataservice_secrets) : []) :
    join(":", slice(split(":", ref), 0, 7))
  ])

  buckets = compact(distinct([
    var.object_storage.log_store_bucket,
    var.object_storage.log_exports_bucket,
    var.object_storage.finetune_bucket,
  ]))
}
