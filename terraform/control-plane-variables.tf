# Optional: Portico's control plane as an ECS service (docker/control-plane.Dockerfile). Not part of the
# deployment guide's table: every variable here is prefixed control_plane_ and the feature is off by default.

variable "control_plane_enabled" {
  description = "Set to true to run Portico's control plane (port 8788) in the cluster; the gateways then sync from it"
  type        = bool
  default     = false
}

variable "control_plane_image" {
  description = "Container image of the control plane (built from docker/control-plane.Dockerfile; required if control_plane_enabled = true)"
  type = object({
    image = string
    tag   = string
  })
  default = {
    image = ""
    tag   = "latest"
  }

  validation {
    condition     = !var.control_plane_enabled || var.control_plane_image.image != ""
    error_message = "control_plane_image.image is required when control_plane_enabled = true: the image you built from docker/control-plane.Dockerfile and pushed, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/portico-control-plane."
  }
}

variable "control_plane_cpu" {
  description = "CPU units of a control plane task"
  type        = number
  default     = 256
}

variable "control_plane_memory" {
  description = "Memory (MiB) of a control plane task"
  type        = number
  default     = 512
}

variable "control_plane_desired_task" {
  description = "Number of control plane tasks"
  type        = number
  default     = 1
}

variable "control_plane_admin_api_key_secret_arn" {
  description = "Secrets Manager secret holding the first admin API key, given to the control plane as ADMIN_API_KEY at its first start (required if control_plane_enabled = true; append :KEY:: for a JSON secret)"
  type        = string
  default     = ""

  validation {
    condition     = !var.control_plane_enabled || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.control_plane_admin_api_key_secret_arn))
    error_message = "control_plane_admin_api_key_secret_arn is required when control_plane_enabled = true: the ARN of a Secrets Manager secret holding the first admin key (without it the control plane would print a generated key into its logs)."
  }
}

variable "control_plane_encryption_key_secret_arn" {
  description = "Secrets Manager secret holding the master key the control plane encrypts provider credentials with, base64 of 32 bytes (openssl rand -base64 32), given as ENCRYPTION_KEY (required if control_plane_enabled = true)"
  type        = string
  default     = ""

  validation {
    condition     = !var.control_plane_enabled || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.control_plane_encryption_key_secret_arn))
    error_message = "control_plane_encryption_key_secret_arn is required when control_plane_enabled = true: the ARN of a Secrets Manager secret holding base64 of 32 random bytes (openssl rand -base64 32)."
  }
}

variable "control_plane_database_url_secret_arn" {
  description = "Secrets Manager secret holding the DATABASE_URL (postgres://...) of an existing PostgreSQL database; empty: a new RDS PostgreSQL instance is created"
  type        = string
  default     = ""

  validation {
    condition     = var.control_plane_database_url_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.control_plane_database_url_secret_arn))
    error_message = "control_plane_database_url_secret_arn must be a Secrets Manager secret ARN (optionally with :KEY::), or empty to create an RDS PostgreSQL instance."
  }
}

variable "control_plane_db_instance_class" {
  description = "Instance class of the new RDS PostgreSQL instance (when control_plane_database_url_secret_arn is empty)"
  type        = string
  default     = "db.t4g.micro"
}

variable "control_plane_db_allocated_storage" {
  description = "Storage (GiB) of the new RDS PostgreSQL instance"
  type        = number
  default     = 20
}

variable "control_plane_db_engine_version" {
  description = "PostgreSQL major version of the new RDS instance"
  type        = string
  default     = "16"
}

variable "control_plane_db_multi_az" {
  description = "Run the new RDS PostgreSQL instance Multi-AZ (a standby in another AZ)"
  type        = bool
  default     = false
}

variable "control_plane_db_deletion_protection" {
  description = "Protect the new RDS PostgreSQL instance from deletion (set false before terraform destroy)"
  type        = bool
  default     = true
}
