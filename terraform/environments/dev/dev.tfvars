# Project Details
project_name                    = "portkey-gateway"
environment                     = "dev"
aws_region                      = "us-east-1"
environment_variables_file_path = "environments/dev/environment-variables.json"
secrets_file_path               = "environments/dev/secrets.json"

# Network Configuration (a new VPC; for an existing one set create_new_vpc = false and the ids)
create_new_vpc     = true
vpc_cidr           = "10.0.0.0/16"
num_az             = 2
single_nat_gateway = true

# Cluster and Capacity Provider
create_cluster   = true
instance_type    = "t4g.medium"
min_asg_size     = 1
max_asg_size     = 3
desired_asg_size = 2
target_capacity  = 70

# Docker Image Configuration: DockerCredentialsSecretArn output of cloudformation/secrets.yaml
docker_cred_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-gateway-dev-docker-credentials-AbCdEf"
gateway_image = {
  image = "portkeyai/gateway_enterprise"
  tag   = "latest"
}

# Gateway Service Configuration
gateway_desired_task = 1
gateway_cpu          = 256
gateway_memory       = 1024

# Data Service Configuration
enable_dataservice = false

# Redis Configuration: the built-in containerised redis
redis_type = "redis"

# Log Store Configuration
object_storage = {
  log_store_bucket   = "my-portkey-dev-logs"
  log_exports_bucket = "my-portkey-dev-log-exports"
  finetune_bucket    = ""
  bucket_region      = "us-east-1"
}
enable_bedrock_access = false

# Load Balancer Configuration
create_nlb          = true
internal_nlb        = true
allowed_nlb_cidrs   = ["10.0.0.0/16"]
tls_certificate_arn = ""
enable_blue_green   = false
