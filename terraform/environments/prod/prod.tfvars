# Project Details
project_name                    = "portkey-gateway"
environment                     = "prod"
aws_region                      = "us-east-1"
environment_variables_file_path = "environments/prod/environment-variables.json"
secrets_file_path               = "environments/prod/secrets.json"

# Network Configuration: one NAT gateway per AZ for availability
create_new_vpc     = true
vpc_cidr           = "10.20.0.0/16"
num_az             = 3
single_nat_gateway = false

# Cluster and Capacity Provider: m7g.large runs 2 awsvpc tasks (3 ENIs - 1); a deployment runs every
# service twice, 2 x (6 gateway + 1 data service) = 14 tasks, so 7 instances (ElastiCache: no redis task).
create_cluster   = true
instance_type    = "m7g.large"
min_asg_size     = 2
max_asg_size     = 7
desired_asg_size = 3
target_capacity  = 70

# Docker Image Configuration: DockerCredentialsSecretArn output of cloudformation/secrets.yaml
docker_cred_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-gateway-prod-docker-credentials-AbCdEf"

# Gateway Service Configuration
gateway_desired_task              = 2
gateway_cpu                       = 1024
gateway_memory                    = 2048
gateway_enable_autoscaling        = true
gateway_min_capacity              = 2
gateway_max_capacity              = 6
gateway_target_cpu_utilization    = 60
gateway_target_memory_utilization = 75
gateway_scale_in_cooldown         = 120
gateway_scale_out_cooldown        = 60

# Data Service Configuration: Portico's image (docker/data-service.Dockerfile), one task: with an
# ElastiCache cluster its job leases are per task (see docs/deployment.md)
enable_dataservice = true
data_service_image = {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/portico-data-service"
  tag   = "1.0.0"
}
dataservice_desired_task = 1
dataservice_cpu          = 512
dataservice_memory       = 1024

# Redis Configuration: ElastiCache in cluster mode with TLS (Configuration Endpoint)
redis_type        = "aws-elasti-cache"
redis_endpoint    = "clustercfg.portkey-prod.abc123.use1.cache.amazonaws.com:6379"
redis_tls_enabled = true
redis_mode        = "cluster"

# Log Store Configuration
object_storage = {
  log_store_bucket   = "my-portkey-prod-logs"
  log_exports_bucket = "my-portkey-prod-log-exports"
  finetune_bucket    = "my-portkey-prod-finetunes"
  bucket_region      = "us-east-1"
}
enable_bedrock_access = true

# Load Balancer Configuration: set tls_certificate_arn to an ACM certificate for TLS:443
create_nlb          = true
internal_nlb        = true
allowed_nlb_cidrs   = ["10.0.0.0/8"]
tls_certificate_arn = ""
enable_blue_green   = true
