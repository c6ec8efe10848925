terraform {
  # Cross-variable validation blocks need Terraform 1.9; the S3 backend's use_lockfile (backend.config)
  # needs 1.10.
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: ECS-native blue/green (deployment_configuration.strategy = BLUE_GREEN) arrived in 6.4.
      # The offline schema check in packages/deployment-checks is generated from 6.66.0.
      version = "~> 6.66"
    }
  }

  # Settings come from environments/<env>/backend.config (terraform init -backend-config=...).
  backend "s3" {}
}
