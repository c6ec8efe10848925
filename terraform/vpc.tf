# A new VPC when create_new_vpc = true: num_az public and private subnets, NAT for the private ones
# (one shared NAT gateway when single_nat_gateway = true, else one per AZ). num_az and
# single_nat_gateway only matter here; with create_new_vpc = false the ids below are used as given.

data "aws_availability_zones" "available" {
  count = var.create_new_vpc ? 1 : 0
  state = "available"
}

locals {
  azs       = var.create_new_vpc ? slice(data.aws_availability_zones.available[0].names, 0, var.num_az) : []
  nat_count = var.create_new_vpc ? (var.single_nat_gateway ? 1 : var.num_az) : 0

  vpc_id             = var.create_new_vpc ? aws_vpc.this[0].id : var.vpc_id
  vpc_cidr           = var.create_new_vpc ? var.vpc_cidr : data.aws_vpc.existing[0].cidr_block
  public_subnet_ids  = var.create_new_vpc ? aws_subnet.public[*].id : var.public_subnet_ids
  private_subnet_ids = var.create_new_vpc ? aws_subnet.private[*].id : var.private_subnet_ids
}

# The existing VPC's CIDR: the default NLB ingress of an internal NLB.
data "aws_vpc" "existing" {
  count = var.create_new_vpc ? 0 : 1
  id    = var.vpc_id
}

resource "aws_vpc" "this" {
  count                = var.create_new_vpc ? 1 : 0
  cidr_block           = var.vpc_cidr
  enable_dns_hostnames = true
  enable_dns_support   = true

  tags = { Name = "${local.name}-vpc" }
}

resource "aws_internet_gateway" "this" {
  count  = var.create_new_vpc ? 1 : 0
  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${local.name}-igw" }
}

resource "aws_subnet" "public" {
  count             = var.create_new_vpc ? var.num_az : 0
  vpc_id            = aws_vpc.this[0].id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index)

  tags = { Name = "${local.name}-public-${local.azs[count.index]}" }
}

resource "aws_subnet" "private" {
  count             = var.create_new_vpc ? var.num_az : 0
  vpc_id            = aws_vpc.this[0].id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index + 8)

  tags = { Name = "${local.name}-private-${local.azs[count.index]}" }
}

resource "aws_route_table" "public" {
  count  = var.create_new_vpc ? 1 : 0
  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${local.name}-public" }
}

resource "aws_route" "public_internet" {
  count                  = var.create_new_vpc ? 1 : 0
  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count          = var.create_new_vpc ? var.num_az : 0
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count  = local.nat_count
  domain = "vpc"

  tags = { Name = "${local.name}-nat-${count.index}" }
}

resource "aws_nat_gateway" "this" {
  count         = local.nat_count
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags       = { Name = "${local.name}-nat-${count.index}" }
  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  count  = var.create_new_vpc ? var.num_az : 0
  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${local.name}-private-${local.azs[count.index]}" }
}

resource "aws_route" "private_nat" {
  count                  = var.create_new_vpc ? var.num_az : 0
  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count          = var.create_new_vpc ? var.num_az : 0
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}
