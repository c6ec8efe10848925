# Every variable of the deployment guide's table, with the same name, default and requiredness.
# "Conditional" rules are validation blocks that read other variables (Terraform >= 1.9).
# docs/deployment.md and terraform/README.md carry a table generated from this file
# (packages/deployment-checks/scripts/gen-variable-table.mjs); a test fails when they drift.

# ---------------------------------------------------------------- Project Details

variable "project_name" {
  description = "Name of the Project"
  type        = string
  default     = "portkey"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.project_name))
    error_message = "project_name must start with a lowercase letter and use at most 20 lowercase letters, digits or hyphens (it prefixes resource names with length limits)."
  }
}

variable "environment" {
  description = "Deployment environment (e.g., dev, prod)"
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,9}$", var.environment))
    error_message = "environment must start with a lowercase letter and use at most 10 lowercase letters, digits or hyphens, e.g. dev or prod."
  }
}

variable "aws_region" {
  description = "AWS region to deploy resources in"
  type        = string
}

variable "environment_variables_file_path" {
  description = "Relative path to the environment-variables.json file containing environment variables for the services, e.g. \"environments/dev/environment-variables.json\""
  type        = string

  validation {
    condition     = fileexists(var.environment_variables_file_path)
    error_message = "environment_variables_file_path does not name an existing file; run terraform from terraform/ and use a path such as environments/dev/environment-variables.json."
  }
}

variable "secrets_file_path" {
  description = "Relative path to the secrets.json file mapping environment variable names of the services to Secrets Manager ARNs, e.g. \"environments/dev/secrets.json\""
  type        = string

  validation {
    condition     = fileexists(var.secrets_file_path)
    error_message = "secrets_file_path does not name an existing file; run terraform from terraform/ and use a path such as environments/dev/secrets.json."
  }
}

# ---------------------------------------------------------------- Network Configuration

variable "create_new_vpc" {
  description = "Set to true to create a new VPC. Set to false to use an existing one"
  type        = bool
}

variable "vpc_cidr" {
  description = "CIDR block for the new VPC (required if create_new_vpc = true)"
  type        = string
  default     = null

  validation {
    condition     = !var.create_new_vpc || (var.vpc_cidr != null && can(cidrnetmask(var.vpc_cidr)))
    error_message = "vpc_cidr is required when create_new_vpc = true and must be an IPv4 CIDR block such as 10.0.0.0/16."
  }
}

variable "num_az" {
  description = "Number of Availability Zones to use (relevant if create_new_vpc = true). Recommended: at least 2 for high availability"
  type        = number
  default     = 2

  validation {
    condition     = var.num_az >= 1 && var.num_az <= 6 && floor(var.num_az) == var.num_az
    error_message = "num_az must be a whole number from 1 to 6 (use at least 2 for high availability)."
  }
}

variable "single_nat_gateway" {
  description = "When true, creates a single NAT Gateway shared across all private subnets, otherwise 1 NAT Gateway per AZ (relevant if create_new_vpc = true)"
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "ID of the existing VPC (required if create_new_vpc = false)"
  type        = string
  default     = null

  validation {
    condition     = var.create_new_vpc || (var.vpc_id != null && can(regex("^vpc-[0-9a-f]+$", var.vpc_id)))
    error_message = "vpc_id is required when create_new_vpc = false and must look like vpc-0123456789abcdef0."
  }
}

variable "public_subnet_ids" {
  description = "List of public subnet IDs (required if create_new_vpc = false)"
  type        = list(string)
  default     = []

  validation {
    condition     = var.create_new_vpc || length(var.public_subnet_ids) > 0
    error_message = "public_subnet_ids is required when create_new_vpc = false: list the existing public subnets (used by an internet-facing NLB)."
  }
}

variable "private_subnet_ids" {
  description = "List of private subnet IDs (required if create_new_vpc = false)"
  type        = list(string)
  default     = []

  validation {
    condition     = var.create_new_vpc || length(var.private_subnet_ids) > 0
    error_message = "private_subnet_ids is required when create_new_vpc = false: list the existing private subnets for the ECS instances and tasks."
  }
}

# ---------------------------------------------------------------- Cluster and Capacity Provider

variable "create_cluster" {
  description = "Set to true to create a new ECS cluster. Set to false to use an existing one"
  type        = bool
  default     = true
}

variable "cluster_name" {
  description = "Name of the cluster (must be provided if create_cluster = false)"
  type        = string
  default     = null

  validation {
    condition     = var.create_cluster || (var.cluster_name != null && try(length(var.cluster_name) > 0, false))
    error_message = "cluster_name must be provided when create_cluster = false: the name of the existing ECS cluster."
  }
}

variable "capacity_provider_name" {
  description = "Name of the cluster capacity provider (must be provided if create_cluster = false)"
  type        = string
  default     = null

  validation {
    condition     = var.create_cluster || (var.capacity_provider_name != null && try(length(var.capacity_provider_name) > 0, false))
    error_message = "capacity_provider_name must be provided when create_cluster = false: a capacity provider attached to the existing cluster."
  }
}

variable "instance_type" {
  description = "EC2 instance type to associate with autoscaling group (relevant if create_cluster = true)"
  type        = string
  default     = "t4g.medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be an EC2 instance type such as t4g.medium or m7i.large."
  }
}

variable "max_asg_size" {
  description = "Maximum number of EC2 in auto scaling group (relevant if create_cluster = true)"
  type        = number
  default     = 3
  # min_asg_size <= desired_asg_size <= max_asg_size is checked once, on desired_asg_size: two validations
  # reading each other form a cycle that stops every plan.
}

variable "min_asg_size" {
  description = "Minimum number of EC2 in auto scaling group (relevant if create_cluster = true)"
  type        = number
  default     = 1

  validation {
    condition     = var.min_asg_size >= 0
    error_message = "min_asg_size must be 0 or more."
  }
}

variable "desired_asg_size" {
  description = "Desired number of EC2 in auto scaling group (relevant if create_cluster = true)"
  type        = number
  default     = 2

  validation {
    condition     = var.desired_asg_size >= var.min_asg_size && var.desired_asg_size <= var.max_asg_size
    error_message = "desired_asg_size must lie between min_asg_size and max_asg_size (min_asg_size <= desired_asg_size <= max_asg_size): raise max_asg_size or lower the others."
  }
}

variable "target_capacity" {
  description = "Desired percentage of cluster resources that ECS aims to maintain (relevant if create_cluster = true)"
  type        = number
  default     = 70

  validation {
    condition     = var.target_capacity >= 1 && var.target_capacity <= 100
    error_message = "target_capacity is a percentage from 1 to 100."
  }
}

# ---------------------------------------------------------------- Docker Image Configuration

variable "gateway_image" {
  description = "Container image to use for the gateway"
  type = object({
    image = string
    tag   = string
  })
  default = {
    image = "portkeyai/gateway_enterprise"
    tag   = "latest"
  }
}

variable "data_service_image" {
  description = "Container image to use for the data service"
  type = object({
    image = string
    tag   = string
  })
  default = {
    image = "portkeyai/data-service"
    tag   = "latest"
  }

  # The default is the guide's, but terraform gives the container Portico's data-service environment
  # (packages/data-service/src/config.ts), which Portkey's image does not read.
  validation {
    condition     = !var.enable_dataservice || var.data_service_image.image != "portkeyai/data-service"
    error_message = "enable_dataservice = true needs data_service_image set to Portico's data service image (built from docker/data-service.Dockerfile and pushed, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/portico-data-service): terraform configures it with Portico's environment, which portkeyai/data-service does not read."
  }
}

variable "docker_cred_secret_arn" {
  description = "ARN of AWS Secrets Manager's secret where docker credentials shared by Portkey is stored"
  type        = string

  # "" means public or ECR images: no repositoryCredentials (the variable stays required, as in the guide).
  validation {
    condition     = var.docker_cred_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.docker_cred_secret_arn))
    error_message = "docker_cred_secret_arn must be the full Secrets Manager ARN (the DockerCredentialsSecretArn output of cloudformation/secrets.yaml), or \"\" for images that need no registry credentials (ECR)."
  }
}

variable "redis_image" {
  description = "Container image to use for Redis"
  type = object({
    image = string
    tag   = string
  })
  default = {
    image = "redis"
    tag   = "7.2-alpine"
  }
}

# ---------------------------------------------------------------- Gateway Service Configuration

variable "gateway_desired_task" {
  description = "Number of tasks to run in Gateway Service"
  type        = number
  default     = 1
}

variable "gateway_cpu" {
  description = "CPU associated with Gateway Service tasks"
  type        = number
  default     = 256
}

variable "gateway_memory" {
  description = "Memory associated with Gateway Service tasks"
  type        = number
  default     = 1024
}

variable "gateway_enable_autoscaling" {
  description = "Set to true to enable autoscaling on Gateway Service"
  type        = bool
  default     = false
}

variable "gateway_min_capacity" {
  description = "Minimum number of tasks to run Gateway Service (relevant if gateway_enable_autoscaling = true)"
  type        = number
  default     = 1

  validation {
    condition     = !var.gateway_enable_autoscaling || (var.gateway_min_capacity >= 0 && var.gateway_min_capacity <= var.gateway_max_capacity)
    error_message = "gateway_min_capacity must be 0 or more and at most gateway_max_capacity."
  }
}

variable "gateway_max_capacity" {
  description = "Maximum number of tasks to run Gateway Service (relevant if gateway_enable_autoscaling = true)"
  type        = number
  default     = 3
}

variable "gateway_target_cpu_utilization" {
  description = "% CPU utilization that ECS autoscaling should try to maintain (relevant if gateway_enable_autoscaling = true)"
  type        = number
  default     = null

  validation {
    condition     = !var.gateway_enable_autoscaling || var.gateway_target_cpu_utilization != null || var.gateway_target_memory_utilization != null
    error_message = "gateway_enable_autoscaling = true needs gateway_target_cpu_utilization or gateway_target_memory_utilization (or both)."
  }

  validation {
    condition     = var.gateway_target_cpu_utilization == null || try(var.gateway_target_cpu_utilization > 0 && var.gateway_target_cpu_utilization <= 100, false)
    error_message = "gateway_target_cpu_utilization is a percentage from 1 to 100."
  }
}

variable "gateway_target_memory_utilization" {
  description = "% memory utilization that ECS autoscaling should try to maintain (relevant if gateway_enable_autoscaling = true)"
  type        = number
  default     = null

  validation {
    condition     = var.gateway_target_memory_utilization == null || try(var.gateway_target_memory_utilization > 0 && var.gateway_target_memory_utilization <= 100, false)
    error_message = "gateway_target_memory_utilization is a percentage from 1 to 100."
  }
}

variable "gateway_scale_in_cooldown" {
  description = "Amount of time (seconds) wait after a scale in activity before another scale in activity can start (relevant if gateway_enable_autoscaling = true)"
  type        = number
  default     = 120
}

variable "gateway_scale_out_cooldown" {
  description = "Amount of time (seconds) wait after a scale out activity before another scale out activity can start (relevant if gateway_enable_autoscaling = true)"
  type        = number
  default     = 60
}

# ---------------------------------------------------------------- Data Service Configuration

variable "enable_dataservice" {
  description = "Set to true to deploy Data Service"
  type        = bool
  default     = false
}

variable "dataservice_desired_task" {
  description = "Number of tasks to run in Data Service"
  type        = number
  default     = 1
}

variable "dataservice_cpu" {
  description = "CPU associated with Data Service tasks"
  type        = number
  default     = 256
}

variable "dataservice_memory" {
  description = "Memory associated with Data Service tasks"
  type        = number
  default     = 1024
}

variable "dataservice_enable_autoscaling" {
  description = "Set to true to enable autoscaling on Data Service"
  type        = bool
  default     = false
}

variable "dataservice_min_capacity" {
  description = "Minimum number of tasks to run Data Service (relevant if dataservice_enable_autoscaling = true)"
  type        = number
  default     = 1

  validation {
    condition     = !var.dataservice_enable_autoscaling || (var.dataservice_min_capacity >= 0 && var.dataservice_min_capacity <= var.dataservice_max_capacity)
    error_message = "dataservice_min_capacity must be 0 or more and at most dataservice_max_capacity."
  }
}

variable "dataservice_max_capacity" {
  description = "Maximum number of tasks to run Data Service (relevant if dataservice_enable_autoscaling = true)"
  type        = number
  default     = 3
}

variable "dataservice_target_cpu_utilization" {
  description = "% CPU utilization that ECS autoscaling should try to maintain (relevant if dataservice_enable_autoscaling = true)"
  type        = number
  default     = null

  validation {
    condition     = !var.dataservice_enable_autoscaling || var.dataservice_target_cpu_utilization != null || var.dataservice_target_memory_utilization != null
    error_message = "dataservice_enable_autoscaling = true needs dataservice_target_cpu_utilization or dataservice_target_memory_utilization (or both)."
  }

  validation {
    condition     = var.dataservice_target_cpu_utilization == null || try(var.dataservice_target_cpu_utilization > 0 && var.dataservice_target_cpu_utilization <= 100, false)
    error_message = "dataservice_target_cpu_utilization is a percentage from 1 to 100."
  }
}

variable "dataservice_target_memory_utilization" {
  description = "% memory utilization that ECS autoscaling should try to maintain (relevant if dataservice_enable_autoscaling = true)"
  type        = number
  default     = null

  validation {
    condition     = var.dataservice_target_memory_utilization == null || try(var.dataservice_target_memory_utilization > 0 && var.dataservice_target_memory_utilization <= 100, false)
    error_message = "dataservice_target_memory_utilization is a percentage from 1 to 100."
  }
}

variable "dataservice_scale_in_cooldown" {
  description = "Amount of time (seconds) wait after a scale in activity before another scale in activity can start (relevant if dataservice_enable_autoscaling = true)"
  type        = number
  default     = 120
}

variable "dataservice_scale_out_cooldown" {
  description = "Amount of time (seconds) wait after a scale out activity before another scale out activity can start (relevant if dataservice_enable_autoscaling = true)"
  type        = number
  default     = 60
}

# ---------------------------------------------------------------- Redis Configuration

variable "redis_type" {
  description = "Set to aws-elasti-cache (or aws-elastic-cache) to use AWS ElastiCache as the cache store, or to redis to use the built-in containerized redis instance."
  type        = string
  default     = "redis"

  validation {
    condition     = contains(["redis", "aws-elasti-cache", "aws-elastic-cache"], var.redis_type)
    error_message = "redis_type must be redis (built-in container), aws-elasti-cache or aws-elastic-cache (an existing ElastiCache endpoint)."
  }
}

variable "redis_endpoint" {
  description = "Specify AWS ElastiCache Endpoint: the Configuration Endpoint in cluster mode, otherwise the Primary Endpoint, as host or host:port (required if redis_type = aws-elasti-cache)"
  type        = string
  default     = ""

  validation {
    condition     = var.redis_type == "redis" || length(trimspace(var.redis_endpoint)) > 0
    error_message = "redis_endpoint is required when redis_type is aws-elasti-cache or aws-elastic-cache: use the ElastiCache Configuration Endpoint (cluster mode) or Primary Endpoint."
  }
}

variable "redis_cpu" {
  description = "Specify CPU for redis task (relevant if redis_type = redis)"
  type        = number
  default     = 256
}

variable "redis_memory" {
  description = "Specify memory for redis task (relevant if redis_type = redis)"
  type        = number
  default     = 1024
}

variable "redis_tls_enabled" {
  description = "Specify if TLS is enabled on AWS ElastiCache instance"
  type        = bool
  default     = false
}

variable "redis_mode" {
  description = "Set cluster if clustering mode is enabled on AWS ElastiCache instance"
  type        = string
  default     = "standalone"

  validation {
    condition     = contains(["standalone", "cluster"], var.redis_mode)
    error_message = "redis_mode must be standalone or cluster."
  }

  validation {
    condition     = var.redis_mode == "standalone" || var.redis_type != "redis"
    error_message = "redis_mode = cluster needs an ElastiCache endpoint in cluster mode; the built-in redis (redis_type = redis) is standalone."
  }
}

# ---------------------------------------------------------------- Log Store Configuration

variable "object_storage" {
  description = "Specify log stores (object with: log_store_bucket, log_exports_bucket, finetune_bucket, bucket_region; optional kms_key_arn for SSE-KMS buckets)"
  type = object({
    log_store_bucket   = string
    log_exports_bucket = optional(string, "")
    finetune_bucket    = optional(string, "")
    bucket_region      = string
    kms_key_arn        = optional(string, "")
  })

  validation {
    condition     = length(var.object_storage.bucket_region) > 0
    error_message = "object_storage.bucket_region is required: the region of the log buckets, e.g. us-east-1."
  }

  validation {
    condition = alltrue([
      for b in [var.object_storage.log_store_bucket, var.object_storage.log_exports_bucket, var.object_storage.finetune_bucket] :
      b == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", b))
    ])
    error_message = "object_storage bucket names must be S3 bucket names (3-63 lowercase letters, digits, dots, hyphens), or empty to leave that store out."
  }

  validation {
    condition     = var.object_storage.kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.object_storage.kms_key_arn))
    error_message = "object_storage.kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), or empty for buckets without SSE-KMS."
  }
}

variable "enable_bedrock_access" {
  description = "Enable access to Bedrock"
  type        = bool
  default     = false
}

# ---------------------------------------------------------------- Load Balancer Configuration

variable "create_nlb" {
  description = "Create Network Load Balancer?"
  type        = bool
  default     = true
}

variable "internal_nlb" {
  description = "Create internal load balancer or internet-facing"
  type        = bool
  default     = true
}

variable "allowed_nlb_cidrs" {
  description = "Provide IP ranges to whitelist in NLB security group. Empty: the VPC CIDR for an internal NLB, 0.0.0.0/0 for an internet-facing one"
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allowed_nlb_cidrs : can(cidrnetmask(c))])
    error_message = "allowed_nlb_cidrs must hold IPv4 CIDR blocks such as 10.0.0.0/8."
  }
}

variable "tls_certificate_arn" {
  description = "ACM certificate ARN to enable TLS-based listeners"
  type        = string
  default     = ""

  validation {
    condition     = var.tls_certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.tls_certificate_arn))
    error_message = "tls_certificate_arn must be empty (plain TCP:80) or an ACM certificate ARN (TLS:443)."
  }
}

variable "enable_blue_green" {
  description = "Define whether to configure blue-green deployment for gateway with load balancer"
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_blue_green || var.create_nlb
    error_message = "enable_blue_green = true needs create_nlb = true: ECS blue/green shifts traffic between two NLB target groups."
  }
}
