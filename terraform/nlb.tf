# Network Load Balancer in front of the gateway. Every resource here honours create_nlb.
# TCP:80 without a certificate; TLS:443 terminating with tls_certificate_arn when it is set.
# With enable_blue_green a test listener (8080, or 8443 with TLS) serves the green target group.

locals {
  nlb_tls               = var.tls_certificate_arn != ""
  nlb_listener_port     = local.nlb_tls ? 443 : 80
  nlb_test_port         = local.nlb_tls ? 8443 : 8080
  nlb_listener_protocol = local.nlb_tls ? "TLS" : "TCP"
  nlb_ports             = var.enable_blue_green ? [local.nlb_listener_port, local.nlb_test_port] : [local.nlb_listener_port]
  nlb_name              = substr(local.name, 0, 23)
}

resource "aws_security_group" "nlb" {
  count       = var.create_nlb ? 1 : 0
  name_prefix = "${local.name}-nlb-"
  description = "Gateway NLB of ${local.name}: ingress only from allowed_nlb_cidrs (default: the VPC, or anywhere if internet-facing)"
  vpc_id      = local.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "nlb" {
  for_each = var.create_nlb ? {
    for pair in setproduct(local.nlb_ingress_cidrs, local.nlb_ports) : "${pair[0]}:${pair[1]}" => { cidr = pair[0], port = pair[1] }
  } : {}
  security_group_id = aws_security_group.nlb[0].id
  description       = "Clients of the gateway NLB"
  ip_protocol       = "tcp"
  cidr_ipv4         = each.value.cidr
  from_port         = each.value.port
  to_port           = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "nlb_to_gateway" {
  count                        = var.create_nlb ? 1 : 0
  security_group_id            = aws_security_group.nlb[0].id
  description                  = "Traffic and health checks to the gateway tasks"
  ip_protocol                  = "tcp"
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = local.gateway_port
  to_port                      = local.gateway_port
}

resource "aws_lb" "gateway" {
  count                            = var.create_nlb ? 1 : 0
  name                             = "${local.nlb_name}-nlb"
  internal                         = var.internal_nlb
  load_balancer_type               = "network"
  subnets                          = var.internal_nlb ? local.private_subnet_ids : local.public_subnet_ids
  security_groups                  = [aws_security_group.nlb[0].id]
  enable_cross_zone_load_balancing = true
}

resource "aws_lb_target_group" "gateway" {
  for_each             = var.create_nlb ? toset(var.enable_blue_green ? ["blue", "green"] : ["blue"]) : toset([])
  name                 = "${local.nlb_name}-gw-${each.key}"
  port                 = local.gateway_port
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = local.vpc_id
  deregistration_delay = 30

  health_check {
    protocol            = "HTTP"
    path                = "/v1/health"
    port                = "traffic-port"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "gateway" {
  count             = var.create_nlb ? 1 : 0
  load_balancer_arn = aws_lb.gateway[0].arn
  port              = local.nlb_listener_port
  protocol          = local.nlb_listener_protocol
  # A TLS listener always carries its certificate; a TCP listener never does.
  certificate_arn = local.nlb_tls ? var.tls_certificate_arn : null
  ssl_policy      = local.nlb_tls ? "ELBSecurityPolicy-TLS13-1-2-2021-06" : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.gateway["blue"].arn
  }

  lifecycle {
    # ECS blue/green switches the listener between the target groups; do not switch it back.
    ignore_changes = [default_action]
  }
}

resource "aws_lb_listener" "gateway_test" {
  count             = var.create_nlb && var.enable_blue_green ? 1 : 0
  load_balancer_arn = aws_lb.gateway[0].arn
  port              = local.nlb_test_port
  protocol          = local.nlb_listener_protocol
  certificate_arn   = local.nlb_tls ? var.tls_certificate_arn : null
  ssl_policy        = local.nlb_tls ? "ELBSecurityPolicy-TLS13-1-2-2021-06" : null

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.gateway["green"].arn
  }

  lifecycle {
    ignore_changes = [default_action]
  }
}
