# A plan of one environment's tfvars under a mocked AWS provider: no credentials, nothing created.
# Run from terraform/ (the variables come from the tfvars file):
#   terraform test -test-directory=tests/environments -var-file=environments/dev/dev.tfvars

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

run "plan" {
  command = plan

  assert {
    condition     = module.gateway.container_definition.portMappings[0].containerPort == 8787
    error_message = "the gateway container listens on 8787"
  }
  assert {
    # HCL evaluates both sides of ||: the index is guarded by the conditional.
    condition     = var.enable_dataservice ? (module.dataservice[0].container_definition.portMappings[0].containerPort == 8081 && contains([for e in module.gateway.container_definition.environment : "${e.name}=${e.value}"], "DATASERVICE_BASEPATH=http://data-service:8081")) : length(module.dataservice) == 0
    error_message = "an enabled data service listens on 8081 and the gateway reaches it there"
  }
  assert {
    condition     = !var.create_nlb || length(aws_vpc_security_group_ingress_rule.nlb) > 0
    error_message = "the NLB must accept clients on its listener"
  }
}
