# Three (or five, seven) Docker Swarm managers across availability zones: node_count >= 3.
# Node 1 is aws_instance.this (main.tf); nodes 2..N are aws_instance.swarm_peer. With node_count = 1
# every resource here has count/for_each 0, so the single-host plan is the one it always was.

locals {
  swarm = var.node_count > 1

  # Placeholder the parameter is created with; node 1 overwrites it with the real token after
  # `docker swarm init` (Terraform ignores the value from then on, so the token never enters the state).
  swarm_token_placeholder = "pending-swarm-init"

  # Nodes go round-robin over the region's zones: 3 nodes in 3 zones survive the loss of a zone.
  swarm_zones = local.swarm ? sort(data.aws_availability_zones.available[0].names) : []

  # Private addresses are fixed (host .10, .11, ... of each zone's default subnet) so every node's user
  # data can list the first managers, and a replaced node comes back on the same address.
  swarm_nodes = {
    for index in range(1, local.swarm ? var.node_count + 1 : 1) : tostring(index) => {
      availability_zone = element(local.swarm_zones, index - 1)
      subnet_id         = data.aws_subnet.swarm[element(local.swarm_zones, index - 1)].id
      private_ip        = cidrhost(data.aws_subnet.swarm[element(local.swarm_zones, index - 1)].cidr_block, 9 + index)
    }
  }
  swarm_peers = { for key, node in local.swarm_nodes : key => node if key != "1" }
  # Nodes 1-3 make the swarm and hold the stack's placement labels; later nodes only join.
  swarm_seeds = local.swarm ? ["1", "2", "3"] : []

  # Node-to-node only: the source of every rule is the nodes' own security group.
  swarm_ports = {
    "swarm-manager" = { protocol = "tcp", from = 2377, to = 2377 }
    "gossip-tcp"    = { protocol = "tcp", from = 7946, to = 7946 }
    "gossip-udp"    = { protocol = "udp", from = 7946, to = 7946 }
    "overlay-vxlan" = { protocol = "udp", from = 4789, to = 4789 }
    # The image registry on node 1 (plain HTTP: the nodes reach it, nobody else).
    "registry" = { protocol = "tcp", from = 5000, to = 5000 }
    # ESP carries the overlay's data when the stack's network is created with `encrypted: "true"`.
    "overlay-esp" = { protocol = "50", from = null, to = null }
    # The database ports ride inside the overlay (VXLAN) between tasks; these let a node reach a peer's
    # host-published member directly (patronictl, etcdctl, redis-cli --sentinel during a failover).
    "postgresql"     = { protocol = "tcp", from = 5432, to = 5432 }
    "patroni-api"    = { protocol = "tcp", from = 8008, to = 8008 }
    "etcd"           = { protocol = "tcp", from = 2379, to = 2380 }
    "redis"          = { protocol = "tcp", from = 6379, to = 6379 }
    "redis-sentinel" = { protocol = "tcp", from = 26379, to = 26379 }
  }

  # Node 1 publishes the manager join token; every other node may only read it.
  swarm_token_actions = local.swarm ? {
    init = ["ssm:GetParameter", "ssm:PutParameter"]
    join = ["ssm:GetParameter"]
  } : {}
}

data "aws_availability_zones" "available" {
  count = local.swarm ? 1 : 0
  state = "available"

  # Regular zones only (no Local Zones or Wavelength Zones, which need an opt-in).
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_subnet" "swarm" {
  for_each = toset(slice(local.swarm_zones, 0, min(length(local.swarm_zones), var.node_count)))

  vpc_id            = data.aws_vpc.default.id
  availability_zone = each.key
  default_for_az    = true
}

check "swarm_spans_zones" {
  assert {
    condition     = !local.swarm || length(distinct([for node in local.swarm_nodes : node.availability_zone])) >= min(var.node_count, 3)
    error_message = "The region offers fewer than three availability zones: some Swarm nodes share a zone, and losing that zone can cost the Raft majority."
  }
}

resource "aws_vpc_security_group_ingress_rule" "swarm" {
  for_each = local.swarm ? local.swarm_ports : {}

  security_group_id            = aws_security_group.this.id
  description                  = "${each.key} between the Swarm nodes"
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.from
  to_port                      = each.value.to
  referenced_security_group_id = aws_security_group.this.id
}

resource "aws_ssm_parameter" "swarm_join_token" {
  count = local.swarm ? 1 : 0

  name        = "/${var.name}/swarm/manager-join-token"
  description = "Docker Swarm manager join token, written by node 1 after docker swarm init"
  type        = "SecureString"
  value       = local.swarm_token_placeholder

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_iam_role" "swarm" {
  for_each = local.swarm_token_actions

  # IAM names are global to the account: the region keeps two deployments of one name apart.
  name = "${var.name}-swarm-${each.key}-${var.region}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# The parameter uses the AWS managed key aws/ssm, whose key policy lets the account's principals decrypt
# through SSM: access is decided by ssm:GetParameter on this one ARN, so no kms statement is needed.
resource "aws_iam_role_policy" "swarm_join_token" {
  for_each = local.swarm_token_actions

  name = "swarm-join-token"
  role = aws_iam_role.swarm[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = each.value
      Resource = aws_ssm_parameter.swarm_join_token[0].arn
    }]
  })
}

resource "aws_iam_instance_profile" "swarm" {
  for_each = local.swarm_token_actions

  name = "${var.name}-swarm-${each.key}-${var.region}"
  role = aws_iam_role.swarm[each.key].name
}

resource "aws_eip" "swarm_peer" {
  for_each = local.swarm_peers

  domain = "vpc"
  tags   = merge(local.tags, { Name = "${var.name}-node-${each.key}" })
}

module "swarm_user_data" {
  source   = "./modules/swarm-user-data"
  for_each = local.swarm_nodes

  node_index           = tonumber(each.key)
  private_ip           = each.value.private_ip
  seed_manager_ips     = [for key in local.swarm_seeds : local.swarm_nodes[key].private_ip]
  seed_public_ips      = [for key in local.swarm_seeds : key == "1" ? aws_eip.this.public_ip : aws_eip.swarm_peer[key].public_ip]
  region               = var.region
  join_token_parameter = local.swarm ? aws_ssm_parameter.swarm_join_token[0].name : ""
  token_placeholder    = local.swarm_token_placeholder
  repository_url       = var.repository_url
  repository_ref       = var.repository_ref
}

resource "aws_instance" "swarm_peer" {
  for_each = local.swarm_peers

  ami                    = data.aws_ssm_parameter.al2023.insecure_value
  instance_type          = var.swarm_instance_type
  key_name               = var.key_name
  vpc_security_group_ids = [aws_security_group.this.id]
  availability_zone      = each.value.availability_zone
  subnet_id              = each.value.subnet_id
  private_ip             = each.value.private_ip
  iam_instance_profile   = aws_iam_instance_profile.swarm["join"].name

  user_data                   = module.swarm_user_data[each.key].rendered
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    encrypted             = true
    delete_on_termination = true
    tags                  = merge(local.tags, { Name = "${var.name}-node-${each.key}-root" })
  }

  tags = merge(local.tags, { Name = "${var.name}-node-${each.key}" })

  lifecycle {
    ignore_changes = [ami]
  }
}

resource "aws_eip_association" "swarm_peer" {
  for_each = local.swarm_peers

  allocation_id = aws_eip.swarm_peer[each.key].id
  instance_id   = aws_instance.swarm_peer[each.key].id
}
