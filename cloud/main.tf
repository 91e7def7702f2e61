locals {
  node_instance_type = local.swarm ? var.swarm_instance_type : var.instance_type
  # Graviton families carry a "g" after the generation digit (t4g, m7g, c7gn, ...).
  architecture = can(regex("^[a-z]+[0-9]+[a-z]*g[a-z]*\\.", local.node_instance_type)) ? "arm64" : "x86_64"

  tags = merge(
    {
      Project   = "taskplatform"
      ManagedBy = "terraform"
      Name      = var.name
    },
    var.tags,
  )

  admin_ports = {
    ssh        = 22
    grafana    = 3001
    prometheus = 9090
  }

  public_ports = {
    http  = 80
    https = 443
  }

  public_cidrs = {
    ipv4 = "0.0.0.0/0"
    ipv6 = "::/0"
  }

  public_rules = {
    for pair in setproduct(keys(local.public_ports), keys(local.public_cidrs)) :
    "${pair[0]}-${pair[1]}" => {
      port   = local.public_ports[pair[0]]
      family = pair[1]
      cidr   = local.public_cidrs[pair[1]]
    }
  }
}

# Amazon Linux 2023, resolved through the public SSM parameter so the AMI is never hard-coded.
data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.architecture}"
}

data "aws_vpc" "default" {
  default = true
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "TaskPlatform: HTTP/HTTPS from anywhere; SSH, Grafana, Prometheus from admin_cidr"
  vpc_id      = data.aws_vpc.default.id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "admin" {
  for_each = local.admin_ports

  security_group_id = aws_security_group.this.id
  description       = "${each.key} from admin_cidr"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.admin_cidr
}

resource "aws_vpc_security_group_ingress_rule" "public" {
  for_each = local.public_rules

  security_group_id = aws_security_group.this.id
  description       = "${each.key} from anywhere"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.family == "ipv4" ? each.value.cidr : null
  cidr_ipv6         = each.value.family == "ipv6" ? each.value.cidr : null
}

resource "aws_vpc_security_group_egress_rule" "all_ipv4" {
  security_group_id = aws_security_group.this.id
  description       = "all outbound (packages, images, git)"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

# Allocated before the instance so the bootstrap knows the public address (TLS certificate SANs, URLs).
resource "aws_eip" "this" {
  domain = "vpc"
  tags   = local.tags
}

module "user_data" {
  source = "./modules/user-data"

  public_ip      = aws_eip.this.public_ip
  repository_url = var.repository_url
  repository_ref = var.repository_ref
  deploy_mode    = var.deploy_mode
  tp_script      = chomp(file("${path.module}/tp"))
}

# The single host; with node_count >= 3 it is Swarm node 1 (swarm.tf), which keeps the single-host
# path's resource addresses and plan exactly as they were (every swarm-only argument is null there).
resource "aws_instance" "this" {
  ami                    = data.aws_ssm_parameter.al2023.insecure_value
  instance_type          = local.node_instance_type
  key_name               = var.key_name
  vpc_security_group_ids = [aws_security_group.this.id]
  availability_zone      = local.swarm ? local.swarm_nodes["1"].availability_zone : null
  subnet_id              = local.swarm ? local.swarm_nodes["1"].subnet_id : null
  private_ip             = local.swarm ? local.swarm_nodes["1"].private_ip : null
  iam_instance_profile   = local.swarm ? aws_iam_instance_profile.swarm["init"].name : null

  user_data                   = local.swarm ? module.swarm_user_data["1"].rendered : module.user_data.rendered
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
    tags                  = merge(local.tags, { Name = "${var.name}-root" })
  }

  tags = local.swarm ? merge(local.tags, { Name = "${var.name}-node-1" }) : local.tags

  lifecycle {
    # A newer AL2023 AMI must not replace a running server on the next plan.
    ignore_changes = [ami]
  }
}

resource "aws_eip_association" "this" {
  allocation_id = aws_eip.this.id
  instance_id   = aws_instance.this.id
}
