# Plan-mode tests with a mocked AWS provider: no credentials, nothing created.
# Run from terraform/:  terraform init -backend=false && terraform test

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c"]
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_ssm_parameter" {
    defaults = {
      insecure_value = "ami-0123456789abcdef0"
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
  docker_cred_secret_arn          = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-dev-docker-AbCdEf"
  allowed_nlb_cidrs               = ["10.0.0.0/16"]
  object_storage = {
    log_store_bucket = "my-logs"
    bucket_region    = "us-east-1"
  }
}

run "defaults_build_a_new_vpc_with_one_nat_and_a_tcp_nlb" {
  command = plan

  assert {
    condition     = length(aws_vpc.this) == 1 && length(aws_subnet.private) == 2 && length(aws_subnet.public) == 2
    error_message = "create_new_vpc = true with num_az = 2 must create a VPC with 2 public and 2 private subnets"
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 1
    error_message = "single_nat_gateway = true must create exactly one NAT gateway"
  }
  assert {
    condition     = aws_lb_listener.gateway[0].port == 80 && aws_lb_listener.gateway[0].protocol == "TCP" && aws_lb_listener.gateway[0].certificate_arn == null
    error_message = "without tls_certificate_arn the listener must be TCP:80 without a certificate"
  }
  assert {
    condition     = aws_lb.gateway[0].internal == true && aws_lb.gateway[0].load_balancer_type == "network"
    error_message = "the default NLB is internal"
  }
  assert {
    condition     = one([for h in aws_lb_target_group.gateway["blue"].health_check : h.path]) == "/v1/health"
    error_message = "the target group health check must hit /v1/health"
  }
  assert {
    condition     = data.aws_ssm_parameter.ecs_ami[0].name == "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    error_message = "t4g.medium is Graviton: the arm64 ECS-optimised AL2023 AMI must be used"
  }
  assert {
    condition     = length(module.redis) == 1 && length(module.dataservice) == 0
    error_message = "defaults: built-in redis, no data service"
  }
  assert {
    condition     = contains([for e in module.gateway.container_definition.environment : "${e.name}=${e.value}"], "REDIS_URL=redis://redis:6379")
    error_message = "the built-in redis is reached at redis://redis:6379"
  }
  assert {
    condition     = contains([for e in module.gateway.container_definition.environment : "${e.name}=${e.value}"], "HOST=0.0.0.0")
    error_message = "the gateway must bind 0.0.0.0 in its container"
  }
  assert {
    condition     = length(module.control_plane) == 0 && length(aws_db_instance.control_plane) == 0 && !contains([for e in module.gateway.container_definition.environment : e.name], "CONTROL_PLANE_URL")
    error_message = "the control plane is off by default: no service, no database, no CONTROL_PLANE_URL"
  }
  assert {
    condition     = toset([for s in module.gateway.container_definition.secrets : s.name]) == toset(["PORTKEY_CLIENT_AUTH", "ORGANISATIONS_TO_SYNC"])
    error_message = "the gateway secrets come from secrets.json"
  }
  assert {
    condition     = module.gateway.container_definition.repositoryCredentials.credentialsParameter == var.docker_cred_secret_arn
    error_message = "the gateway image is pulled with the Docker credentials"
  }
}

run "tls_certificate_gives_a_tls_443_listener_with_the_certificate" {
  command = plan
  variables {
    tls_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  }
  assert {
    condition     = aws_lb_listener.gateway[0].port == 443 && aws_lb_listener.gateway[0].protocol == "TLS"
    error_message = "a certificate must turn the listener into TLS:443"
  }
  assert {
    condition     = aws_lb_listener.gateway[0].certificate_arn == var.tls_certificate_arn
    error_message = "the TLS listener must carry the certificate"
  }
}

run "create_nlb_false_creates_no_nlb_resource" {
  command = plan
  variables {
    create_nlb = false
  }
  assert {
    condition     = length(aws_lb.gateway) == 0 && length(aws_lb_listener.gateway) == 0 && length(aws_lb_target_group.gateway) == 0 && length(aws_security_group.nlb) == 0 && length(aws_vpc_security_group_ingress_rule.nlb) == 0 && length(aws_vpc_security_group_ingress_rule.tasks_from_nlb) == 0
    error_message = "create_nlb = false must create no NLB, listener, target group or NLB security group"
  }
  assert {
    condition     = output.nlb_dns_name == null
    error_message = "without an NLB the DNS output is null"
  }
}

run "nat_gateway_per_az_when_single_nat_gateway_is_false" {
  command = plan
  variables {
    num_az             = 3
    single_nat_gateway = false
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_subnet.private) == 3
    error_message = "single_nat_gateway = false with num_az = 3 must create 3 NAT gateways and 3 private subnets"
  }
}

run "existing_vpc_ignores_num_az_and_single_nat_gateway" {
  command = plan
  variables {
    create_new_vpc     = false
    vpc_cidr           = null
    vpc_id             = "vpc-0123456789abcdef0"
    public_subnet_ids  = ["subnet-0000000000000000a", "subnet-0000000000000000b"]
    private_subnet_ids = ["subnet-0000000000000000c", "subnet-0000000000000000d"]
    num_az             = 3
    single_nat_gateway = false
  }
  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_nat_gateway.this) == 0 && length(aws_subnet.private) == 0
    error_message = "an existing VPC must not get subnets or NAT gateways"
  }
  assert {
    condition     = aws_lb.gateway[0].subnets == toset(var.private_subnet_ids)
    error_message = "an internal NLB sits in the given private subnets"
  }
}

run "x86_instance_type_uses_the_x86_64_ami" {
  command = plan
  variables {
    instance_type = "m7i.large"
  }
  assert {
    condition     = data.aws_ssm_parameter.ecs_ami[0].name == "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    error_message = "m7i.large is x86_64"
  }
}

run "existing_cluster_creates_no_cluster_or_asg" {
  command = plan
  variables {
    create_cluster         = false
    cluster_name           = "shared"
    capacity_provider_name = "shared-asg"
  }
  assert {
    condition     = length(aws_ecs_cluster.this) == 0 && length(aws_autoscaling_group.ecs) == 0 && output.cluster_name == "shared"
    error_message = "create_cluster = false must reuse the named cluster"
  }
}

run "elasticache_cluster_with_tls" {
  command = plan
  variables {
    redis_type        = "aws-elastic-cache"
    redis_endpoint    = "clustercfg.x.abc123.use1.cache.amazonaws.com"
    redis_tls_enabled = true
    redis_mode        = "cluster"
  }
  assert {
    condition     = length(module.redis) == 0 && output.redis_url == "rediss://clustercfg.x.abc123.use1.cache.amazonaws.com:6379"
    error_message = "ElastiCache replaces the built-in redis and is reached over rediss://"
  }
  assert {
    condition     = contains([for e in module.gateway.container_definition.environment : "${e.name}=${e.value}"], "REDIS_MODE=cluster")
    error_message = "cluster mode must reach the gateway as REDIS_MODE=cluster"
  }
}

run "elasti_cache_spelling_is_accepted" {
  command = plan
  variables {
    redis_type     = "aws-elasti-cache"
    redis_endpoint = "primary.x.abc123.use1.cache.amazonaws.com:6380"
  }
  assert {
    condition     = output.redis_url == "redis://primary.x.abc123.use1.cache.amazonaws.com:6380"
    error_message = "aws-elasti-cache is the guide's spelling of ElastiCache"
  }
}

run "blue_green_adds_green_target_group_and_test_listener" {
  command = plan
  variables {
    enable_blue_green = true
  }
  assert {
    condition     = length(aws_lb_target_group.gateway) == 2 && aws_lb_listener.gateway_test[0].port == 8080
    error_message = "blue/green needs the green target group and a test listener"
  }
  assert {
    condition     = length(aws_iam_role.blue_green) == 1
    error_message = "ECS needs an infrastructure role to move the listeners"
  }
}

run "autoscaling_attaches_cpu_and_memory_policies" {
  command = plan
  variables {
    gateway_enable_autoscaling        = true
    gateway_target_cpu_utilization    = 60
    gateway_target_memory_utilization = 75
    max_asg_size                      = 4
  }
  assert {
    condition     = length(module.gateway.autoscaling_policy_names) == 2
    error_message = "CPU and memory targets must each get a target-tracking policy"
  }
}

run "bedrock_reaches_only_the_gateway" {
  command = plan
  variables {
    enable_bedrock_access = true
  }
  assert {
    condition     = contains([for st in data.aws_iam_policy_document.gateway_access.statement : st.sid], "InvokeBedrockModels")
    error_message = "enable_bedrock_access must let the gateway's task role invoke Bedrock models"
  }
  assert {
    condition     = !contains([for st in data.aws_iam_policy_document.dataservice_access.statement : st.sid], "InvokeBedrockModels")
    error_message = "the data service's task role never gets Bedrock"
  }
}

run "kms_key_is_granted_only_when_set" {
  command = plan
  variables {
    object_storage = {
      log_store_bucket = "my-logs"
      bucket_region    = "us-east-1"
      kms_key_arn      = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }
  assert {
    condition = alltrue([for doc in [data.aws_iam_policy_document.gateway_access, data.aws_iam_policy_document.dataservice_access] :
      contains([for st in doc.statement : "${join(",", st.actions)}@${join(",", st.resources)}"], "kms:Decrypt,kms:GenerateDataKey@arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555")
    ])
    error_message = "an SSE-KMS key must be usable (Decrypt, GenerateDataKey) by both task roles, on that key only"
  }
}

run "no_kms_statement_without_a_key" {
  command = plan
  assert {
    condition     = length([for st in data.aws_iam_policy_document.gateway_access.statement : st if anytrue([for a in st.actions : startswith(a, "kms:")])]) == 0
    error_message = "without object_storage.kms_key_arn no KMS permission is granted"
  }
}

run "nlb_default_ingress_is_the_vpc_when_internal" {
  command = plan
  variables {
    allowed_nlb_cidrs = []
  }
  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.nlb) == ["10.0.0.0/16:80"]
    error_message = "an internal NLB with allowed_nlb_cidrs = [] must accept the VPC CIDR"
  }
}

run "nlb_default_ingress_is_the_existing_vpc_when_internal" {
  command = plan
  variables {
    allowed_nlb_cidrs  = []
    create_new_vpc     = false
    vpc_cidr           = null
    vpc_id             = "vpc-0123456789abcdef0"
    public_subnet_ids  = ["subnet-0000000000000000a"]
    private_subnet_ids = ["subnet-0000000000000000c"]
  }
  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.nlb) == ["10.1.0.0/16:80"]
    error_message = "an internal NLB in an existing VPC with allowed_nlb_cidrs = [] must accept that VPC's CIDR"
  }
}

run "nlb_default_ingress_is_anywhere_when_internet_facing" {
  command = plan
  variables {
    allowed_nlb_cidrs = []
    internal_nlb      = false
  }
  assert {
    condition     = keys(aws_vpc_security_group_ingress_rule.nlb) == ["0.0.0.0/0:80"]
    error_message = "an internet-facing NLB with allowed_nlb_cidrs = [] must accept 0.0.0.0/0"
  }
}

run "bare_secret_arn_reads_one_key_per_variable" {
  command = plan
  variables {
    secrets_file_path = "tests/fixtures/secrets-bare-arn.json"
  }
  assert {
    condition = { for s in module.gateway.container_definition.secrets : s.name => s.valueFrom } == {
      PORTKEY_CLIENT_AUTH   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-dev-client-org-AbCdEf:PORTKEY_CLIENT_AUTH::"
      ORGANISATIONS_TO_SYNC = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-dev-client-org-AbCdEf:ORGANISATIONS_TO_SYNC::"
    }
    error_message = "a bare ClientOrgSecretNameArn must read the variable's own JSON key, not the whole secret"
  }
}

run "service_connect_does_not_time_out_http_requests" {
  command = plan
  assert {
    condition     = module.gateway.service_connect_per_request_timeout_seconds == 0
    error_message = "the gateway's Service Connect per-request timeout must be off (0), not the 15 s default"
  }
  assert {
    condition     = module.redis[0].service_connect_per_request_timeout_seconds == null
    error_message = "redis is TCP: no per-request timeout"
  }
}

run "images_without_registry_credentials" {
  command = plan
  variables {
    docker_cred_secret_arn = ""
  }
  assert {
    condition     = !contains(keys(module.gateway.container_definition), "repositoryCredentials")
    error_message = "docker_cred_secret_arn = \"\" (ECR or public images) must leave repositoryCredentials out"
  }
  assert {
    condition     = !contains(one(data.aws_iam_policy_document.execution_secrets.statement).resources, "")
    error_message = "the execution role must not be granted an empty secret ARN"
  }
}

run "instances_join_the_cluster_resource" {
  command = plan
  assert {
    condition     = strcontains(base64decode(aws_launch_template.ecs[0].user_data), "ECS_CLUSTER=${aws_ecs_cluster.this[0].name}\n")
    error_message = "the instances' user data must name the cluster resource"
  }
}

run "cluster_too_small_for_a_deployment_is_refused" {
  command = plan
  variables {
    max_asg_size                   = 2
    desired_asg_size               = 2
    gateway_enable_autoscaling     = true
    gateway_target_cpu_utilization = 60
    gateway_max_capacity           = 4
  }
  # 2 instances x (3 ENIs - 1) = 4 task slots < 2 x (4 gateway + 1 redis) = 10 during a deployment.
  expect_failures = [aws_autoscaling_group.ecs]
}

run "control_plane_with_a_new_rds_database" {
  command = plan
  variables {
    control_plane_enabled                   = true
    control_plane_image                     = { image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/portico-control-plane", tag = "1.0.0" }
    control_plane_admin_api_key_secret_arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-admin-key-AbCdEf"
    control_plane_encryption_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-encryption-key-AbCdEf"
  }
  assert {
    condition     = length(module.control_plane) == 1 && module.control_plane[0].container_definition.portMappings[0].containerPort == 8788
    error_message = "control_plane_enabled must run the control plane on 8788"
  }
  assert {
    condition     = contains([for e in module.gateway.container_definition.environment : "${e.name}=${e.value}"], "CONTROL_PLANE_URL=http://control-plane:8788")
    error_message = "the gateways must reach the control plane at http://control-plane:8788 (Service Connect)"
  }
  assert {
    condition     = aws_db_instance.control_plane[0].engine == "postgres" && aws_db_instance.control_plane[0].manage_master_user_password == true && aws_db_instance.control_plane[0].storage_encrypted == true && aws_db_instance.control_plane[0].publicly_accessible == false
    error_message = "the new database is a private, encrypted RDS PostgreSQL whose password RDS keeps in Secrets Manager"
  }
  assert {
    condition     = toset([for s in module.control_plane[0].container_definition.secrets : s.name]) == toset(["ADMIN_API_KEY", "ENCRYPTION_KEY", "ORGANISATION_ID", "PGPASSWORD", "PGUSER", "PORTKEY_CLIENT_AUTH"])
    error_message = "the control plane's secrets: admin key, master key, the gateways' organisation and client auth, and the database user and password"
  }
  assert {
    condition     = { for s in module.control_plane[0].container_definition.secrets : s.name => s.valueFrom if contains(["ORGANISATION_ID", "PORTKEY_CLIENT_AUTH"], s.name) } == { ORGANISATION_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-gateway-dev-client-org-AbCdEf:ORGANISATIONS_TO_SYNC::", PORTKEY_CLIENT_AUTH = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-gateway-dev-client-org-AbCdEf:PORTKEY_CLIENT_AUTH::" }
    error_message = "the control plane's organisation and client-auth key are the ones the gateways sync with"
  }
  assert {
    condition     = toset([for e in module.control_plane[0].container_definition.environment : e.name]) == toset(["CONTROL_PLANE_PORT", "DATABASE_URL", "GATEWAY_URL", "HOST"]) && contains([for e in module.control_plane[0].container_definition.environment : "${e.name}=${e.value}"], "GATEWAY_URL=http://gateway:8787")
    error_message = "the control plane listens on 0.0.0.0:8788, gets a DATABASE_URL without the password, and its console reaches the gateway at http://gateway:8787"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.control_plane_db[0].from_port == 5432 && aws_vpc_security_group_ingress_rule.control_plane_db[0].to_port == 5432 && length(aws_vpc_security_group_ingress_rule.control_plane_db) == 1
    error_message = "the database accepts one ingress rule, on 5432 (from the tasks' security group)"
  }
  assert {
    condition     = contains(keys(aws_vpc_security_group_ingress_rule.tasks_service_connect), "8788")
    error_message = "the gateways reach the control plane on 8788"
  }
}

run "control_plane_with_an_existing_database_url_secret" {
  command = plan
  variables {
    control_plane_enabled                   = true
    control_plane_image                     = { image = "portico-control-plane", tag = "1.0.0" }
    control_plane_admin_api_key_secret_arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-admin-key-AbCdEf"
    control_plane_encryption_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-encryption-key-AbCdEf"
    control_plane_database_url_secret_arn   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-database-url-AbCdEf"
  }
  assert {
    condition     = length(aws_db_instance.control_plane) == 0 && length(aws_security_group.control_plane_db) == 0
    error_message = "an existing DATABASE_URL secret means no RDS instance"
  }
  assert {
    condition     = { for s in module.control_plane[0].container_definition.secrets : s.name => s.valueFrom if startswith(s.name, "DATABASE") || startswith(s.name, "PG") } == { DATABASE_URL = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-database-url-AbCdEf" }
    error_message = "DATABASE_URL must come from the given secret"
  }
  assert {
    condition     = contains(one(data.aws_iam_policy_document.execution_secrets.statement).resources, "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-database-url-AbCdEf")
    error_message = "the execution role must be able to read the DATABASE_URL secret"
  }
}

run "data_service_runs_portico_image_beside_the_gateway" {
  command = plan
  variables {
    enable_dataservice    = true
    data_service_image    = { image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/portico-data-service", tag = "1.0.0" }
    enable_bedrock_access = true
  }
  assert {
    condition     = length(module.dataservice) == 1 && module.dataservice[0].container_definition.image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/portico-data-service:1.0.0" && module.dataservice[0].container_definition.portMappings[0].containerPort == 8081
    error_message = "enable_dataservice must run Portico's data service image on 8081"
  }
  assert {
    condition     = contains([for e in module.gateway.container_definition.environment : "${e.name}=${e.value}"], "DATASERVICE_BASEPATH=http://data-service:8081")
    error_message = "the gateway must reach the data service at http://data-service:8081 (DATASERVICE_BASEPATH)"
  }
  assert {
    condition = { for e in module.dataservice[0].container_definition.environment : e.name => e.value } == {
      PORT                         = "8081"
      HOST                         = "0.0.0.0"
      GATEWAY_URL                  = "http://gateway:8787"
      REDIS_URL                    = "redis://redis:6379"
      LOG_STORE                    = "s3_assume"
      LOG_STORE_REGION             = "us-east-1"
      LOG_STORE_GENERATIONS_BUCKET = "my-logs"
      LOG_LEVEL                    = "debug"
    }
    error_message = "the data service's environment: its port, the gateway, redis and the log store (no control plane, no Bedrock role unless set)"
  }
  assert {
    condition     = toset([for s in module.dataservice[0].container_definition.secrets : s.name]) == toset(["PORTKEY_CLIENT_AUTH", "ORGANISATIONS_TO_SYNC"])
    error_message = "the data service gets the client-auth key and organisation as secrets"
  }
  assert {
    condition     = !contains(keys(module.dataservice[0].container_definition), "repositoryCredentials") && module.gateway.container_definition.repositoryCredentials.credentialsParameter == var.docker_cred_secret_arn
    error_message = "an image in ECR is pulled by the execution role, without the Docker credentials the gateway's registry needs"
  }
  assert {
    condition     = toset([for st in data.aws_iam_policy_document.dataservice_access.statement : st.sid]) == toset(["ListConfiguredBuckets", "ReadWriteConfiguredBucketObjects"])
    error_message = "the data service's task role reaches its buckets and nothing else (no Bedrock, even with enable_bedrock_access)"
  }
  assert {
    condition     = module.dataservice[0].service_connect_per_request_timeout_seconds == 0
    error_message = "exports and batches through Service Connect must not be cut at 15 s"
  }
}

run "data_service_with_the_control_plane_and_a_bedrock_finetune_role" {
  command = plan
  variables {
    max_asg_size                            = 4
    enable_dataservice                      = true
    data_service_image                      = { image = "ghcr.io/example/portico-data-service", tag = "1.0.0" }
    enable_bedrock_access                   = true
    dataservice_bedrock_finetune_role_arn   = "arn:aws:iam::123456789012:role/bedrock-finetune"
    control_plane_enabled                   = true
    control_plane_image                     = { image = "ghcr.io/example/portico-control-plane", tag = "1.0.0" }
    control_plane_admin_api_key_secret_arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-admin-key-AbCdEf"
    control_plane_encryption_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-encryption-key-AbCdEf"
    secrets_file_path                       = "tests/fixtures/secrets-bare-arn.json"
  }
  assert {
    condition     = contains([for e in module.dataservice[0].container_definition.environment : "${e.name}=${e.value}"], "CONTROL_PLANE_URL=http://control-plane:8788")
    error_message = "the data service checks callers' keys with the control plane at http://control-plane:8788"
  }
  assert {
    condition     = contains([for e in module.dataservice[0].container_definition.environment : "${e.name}=${e.value}"], "BEDROCK_FINETUNE_ROLE_ARN=arn:aws:iam::123456789012:role/bedrock-finetune")
    error_message = "dataservice_bedrock_finetune_role_arn must reach the data service as BEDROCK_FINETUNE_ROLE_ARN"
  }
  assert {
    # secrets-bare-arn.json has no "data-service" entry: the data service shares the gateways' two secrets.
    condition = { for s in module.dataservice[0].container_definition.secrets : s.name => s.valueFrom } == {
      PORTKEY_CLIENT_AUTH   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-dev-client-org-AbCdEf:PORTKEY_CLIENT_AUTH::"
      ORGANISATIONS_TO_SYNC = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portkey-dev-client-org-AbCdEf:ORGANISATIONS_TO_SYNC::"
    }
    error_message = "the data service authenticates with the gateways' client-auth key and organisation"
  }
  assert {
    condition     = length([for st in data.aws_iam_policy_document.dataservice_access.statement : st if anytrue([for a in st.actions : startswith(a, "iam:") || startswith(a, "bedrock:")])]) == 0
    error_message = "no iam:PassRole and no Bedrock on the data service's task role: it calls Bedrock with the caller's credentials"
  }
}

run "data_service_on_an_elasticache_cluster_shares_it_for_leases" {
  command = plan
  variables {
    enable_dataservice       = true
    data_service_image       = { image = "portico-data-service", tag = "1.0.0" }
    dataservice_desired_task = 2
    redis_type               = "aws-elastic-cache"
    redis_endpoint           = "clustercfg.x.abc123.use1.cache.amazonaws.com"
    redis_tls_enabled        = true
    redis_mode               = "cluster"
    max_asg_size             = 4
  }
  assert {
    condition = alltrue([for kv in ["REDIS_URL=rediss://clustercfg.x.abc123.use1.cache.amazonaws.com:6379", "REDIS_MODE=cluster", "REDIS_TLS_ENABLED=true"] :
    contains([for e in module.dataservice[0].container_definition.environment : "${e.name}=${e.value}"], kv)])
    error_message = "the data service's leases use the cluster endpoint in cluster mode over TLS, so several tasks share them"
  }
}

run "data_service_with_the_control_plane_needs_its_client_auth" {
  command = plan
  variables {
    max_asg_size                            = 4
    enable_dataservice                      = true
    data_service_image                      = { image = "portico-data-service", tag = "1.0.0" }
    control_plane_enabled                   = true
    control_plane_image                     = { image = "portico-control-plane", tag = "1.0.0" }
    control_plane_admin_api_key_secret_arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-admin-key-AbCdEf"
    control_plane_encryption_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico-encryption-key-AbCdEf"
    secrets_file_path                       = "tests/fixtures/secrets-none.json"
  }
  expect_failures = [aws_iam_role.dataservice_task]
}
