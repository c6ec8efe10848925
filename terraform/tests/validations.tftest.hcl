# Every Conditional rule of the deployment guide is a validation; each run expects it to fail.
# Run from terraform/:  terraform init -backend=false && terraform test

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c"]
    }
  }
  mock_data "aws_ec2_instance_type" {
    defaults = {
      maximum_network_interfaces = 3
    }
  }
  mock_data "aws_vpc" {
    defaults = {
      cidr_block = "10.1.0.0/16"
    }
  }
}

variables {
  aws_region                      = "us-east-1"
  environment_variables_file_path = "environments/dev/environment-variables.json"
  secrets_file_path               = "environments/dev/secrets.json"
  create_new_vpc                  = true
  vpc_cidr                        = "10.0.0.0/16"
  # Room for a deployment of the autoscaled gateway (its default maximum of 3 tasks, twice, plus redis).
  max_asg_size           = 4
  docker_cred_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-dev-docker-AbCdEf"
  object_storage = {
    log_store_bucket = "my-logs"
    bucket_region    = "us-east-1"
  }
}

run "vpc_cidr_required_for_a_new_vpc" {
  command = plan
  variables {
    vpc_cidr = null
  }
  expect_failures = [var.vpc_cidr]
}

run "existing_vpc_needs_vpc_id_and_subnets" {
  command = plan
  variables {
    create_new_vpc = false
    vpc_cidr       = null
  }
  expect_failures = [var.vpc_id, var.public_subnet_ids, var.private_subnet_ids]
}

run "existing_cluster_needs_its_name_and_capacity_provider" {
  command = plan
  variables {
    create_cluster = false
  }
  expect_failures = [var.cluster_name, var.capacity_provider_name]
}

run "elasticache_needs_an_endpoint" {
  command = plan
  variables {
    redis_type = "aws-elasti-cache"
  }
  expect_failures = [var.redis_endpoint]
}

run "redis_type_must_be_known" {
  command = plan
  variables {
    redis_type = "memcached"
  }
  expect_failures = [var.redis_type]
}

run "redis_cluster_mode_needs_elasticache" {
  command = plan
  variables {
    redis_mode = "cluster"
  }
  expect_failures = [var.redis_mode]
}

run "tls_certificate_must_be_an_acm_arn" {
  command = plan
  variables {
    tls_certificate_arn = "not-an-arn"
  }
  expect_failures = [var.tls_certificate_arn]
}

run "blue_green_needs_the_nlb" {
  command = plan
  variables {
    create_nlb        = false
    enable_blue_green = true
  }
  expect_failures = [var.enable_blue_green]
}

run "autoscaling_needs_a_target" {
  command = plan
  variables {
    gateway_enable_autoscaling = true
  }
  expect_failures = [var.gateway_target_cpu_utilization]
}

run "asg_sizes_must_be_ordered" {
  command = plan
  variables {
    min_asg_size     = 3
    desired_asg_size = 2
    max_asg_size     = 4
  }
  expect_failures = [var.desired_asg_size]
}

run "allowed_nlb_cidrs_must_be_cidrs" {
  command = plan
  variables {
    allowed_nlb_cidrs = ["everyone"]
  }
  expect_failures = [var.allowed_nlb_cidrs]
}

run "docker_credentials_must_be_a_secret_arn" {
  command = plan
  variables {
    docker_cred_secret_arn = "portkey-docker"
  }
  expect_failures = [var.docker_cred_secret_arn]
}

run "asg_max_must_cover_min_and_desired" {
  command = plan
  variables {
    max_asg_size = 1
  }
  expect_failures = [var.desired_asg_size]
}

run "gateway_min_capacity_must_not_exceed_max" {
  command = plan
  variables {
    gateway_enable_autoscaling     = true
    gateway_target_cpu_utilization = 60
    gateway_min_capacity           = 5
    gateway_max_capacity           = 3
  }
  expect_failures = [var.gateway_min_capacity]
}

run "dataservice_autoscaling_needs_a_target" {
  command = plan
  variables {
    dataservice_enable_autoscaling = true
  }
  expect_failures = [var.dataservice_target_cpu_utilization]
}

run "dataservice_min_capacity_must_not_exceed_max" {
  command = plan
  variables {
    dataservice_enable_autoscaling     = true
    dataservice_target_cpu_utilization = 60
    dataservice_min_capacity           = 5
    dataservice_max_capacity           = 3
  }
  expect_failures = [var.dataservice_min_capacity]
}

run "project_name_must_be_short_and_lowercase" {
  command = plan
  variables {
    project_name = "My_Project"
  }
  expect_failures = [var.project_name]
}

run "environment_must_be_short_and_lowercase" {
  command = plan
  variables {
    environment = "Production Environment"
  }
  expect_failures = [var.environment]
}

run "environment_variables_file_must_exist" {
  command = plan
  variables {
    environment_variables_file_path = "environments/nope/environment-variables.json"
  }
  expect_failures = [var.environment_variables_file_path]
}

run "secrets_file_must_exist" {
  command = plan
  variables {
    secrets_file_path = "environments/nope/secrets.json"
  }
  expect_failures = [var.secrets_file_path]
}

run "num_az_must_be_1_to_6" {
  command = plan
  variables {
    num_az = 0
  }
  expect_failures = [var.num_az]
}

run "instance_type_must_look_like_one" {
  command = plan
  variables {
    instance_type = "large"
  }
  expect_failures = [var.instance_type]
}

run "min_asg_size_must_not_be_negative" {
  command = plan
  variables {
    min_asg_size = -1
  }
  expect_failures = [var.min_asg_size]
}

run "target_capacity_is_a_percentage" {
  command = plan
  variables {
    target_capacity = 150
  }
  expect_failures = [var.target_capacity]
}

run "gateway_memory_target_is_a_percentage" {
  command = plan
  variables {
    gateway_target_memory_utilization = 0
  }
  expect_failures = [var.gateway_target_memory_utilization]
}

run "dataservice_memory_target_is_a_percentage" {
  command = plan
  variables {
    dataservice_target_memory_utilization = 101
  }
  expect_failures = [var.dataservice_target_memory_utilization]
}

run "bucket_names_must_be_s3_names" {
  command = plan
  variables {
    object_storage = {
      log_store_bucket = "Not A Bucket"
      bucket_region    = "us-east-1"
    }
  }
  expect_failures = [var.object_storage]
}

run "data_service_needs_portico_image_not_portkeys" {
  command = plan
  variables {
    enable_dataservice = true
  }
  expect_failures = [var.data_service_image]
}

run "data_service_bedrock_finetune_role_must_be_a_role_arn" {
  command = plan
  variables {
    dataservice_bedrock_finetune_role_arn = "my-bedrock-role"
  }
  expect_failures = [var.dataservice_bedrock_finetune_role_arn]
}

run "kms_key_must_be_a_kms_key_arn" {
  command = plan
  variables {
    object_storage = {
      log_store_bucket = "my-logs"
      bucket_region    = "us-east-1"
      kms_key_arn      = "alias/my-key"
    }
  }
  expect_failures = [var.object_storage]
}

run "control_plane_needs_its_image_and_keys" {
  command = plan
  variables {
    control_plane_enabled = true
  }
  expect_failures = [var.control_plane_image, var.control_plane_admin_api_key_secret_arn, var.control_plane_encryption_key_secret_arn]
}

run "control_plane_database_url_must_be_a_secret_arn" {
  command = plan
  variables {
    control_plane_database_url_secret_arn = "postgres://user:password@db:5432/portico"
  }
  expect_failures = [var.control_plane_database_url_secret_arn]
}
