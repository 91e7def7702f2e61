# Offline tests of the three-node (Docker Swarm) option and of the single-host path staying as it was.
# The AWS provider is mocked, nothing is created.

mock_provider "aws" {
  mock_data "aws_ssm_parameter" {
    defaults = {
      insecure_value = "ami-0123456789abcdef0"
      value          = "ami-0123456789abcdef0"
    }
  }

  mock_data "aws_vpc" {
    defaults = {
      id = "vpc-0123456789abcdef0"
    }
  }

  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-central-1b", "eu-central-1a", "eu-central-1c"]
    }
  }

  mock_data "aws_subnet" {
    defaults = {
      cidr_block = "172.31.16.0/20"
    }
  }

  mock_resource "aws_eip" {
    defaults = {
      public_ip = "198.51.100.20"
    }
  }

  mock_resource "aws_ssm_parameter" {
    defaults = {
      arn = "arn:aws:ssm:eu-central-1:123456789012:parameter/taskplatform/swarm/manager-join-token"
    }
  }
}

variables {
  region         = "eu-central-1"
  key_name       = "taskplatform-test"
  admin_cidr     = "203.0.113.7/32"
  repository_url = "https://github.com/example/taskplatform.git"
  repository_ref = "v1.2.3"
}

run "single_host_is_unchanged" {
  command = apply

  variables {
    # Set but unused: only node_count >= 3 reads it.
    swarm_instance_type = "m7g.large"
  }

  assert {
    condition = (
      length(aws_instance.swarm_peer) + length(aws_eip.swarm_peer) + length(aws_eip_association.swarm_peer) +
      length(aws_vpc_security_group_ingress_rule.swarm) + length(aws_ssm_parameter.swarm_join_token) +
      length(aws_iam_role.swarm) + length(aws_iam_role_policy.swarm_join_token) + length(aws_iam_instance_profile.swarm) +
      length(data.aws_availability_zones.available) + length(data.aws_subnet.swarm) + length(module.swarm_user_data)
    ) == 0
    error_message = "node_count = 1 must not create any Swarm resource"
  }

  assert {
    condition     = aws_instance.this.instance_type == "t3.small" && data.aws_ssm_parameter.al2023.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    error_message = "the single host keeps instance_type (and its AMI architecture); swarm_instance_type is for Swarm nodes"
  }

  assert {
    condition     = aws_instance.this.user_data == module.user_data.rendered && strcontains(aws_instance.this.user_data, "./scripts/setup.sh") && !strcontains(aws_instance.this.user_data, "docker swarm")
    error_message = "the single host keeps the Podman/Quadlet bootstrap"
  }

  assert {
    condition     = aws_instance.this.tags["Name"] == "taskplatform"
    error_message = "the single host keeps its Name tag"
  }

  assert {
    condition     = output.node_public_ips == ["198.51.100.20"] && output.node_private_ips == [] && output.dns_hint == "Point an A record for your domain at 198.51.100.20."
    error_message = "single-host outputs: one address, no private list, a one-line DNS hint"
  }
}

run "three_nodes_in_distinct_zones" {
  command = apply

  variables {
    node_count = 3
  }

  assert {
    condition     = length(aws_instance.swarm_peer) == 2 && keys(aws_instance.swarm_peer) == ["2", "3"]
    error_message = "three nodes: aws_instance.this (node 1) and peers 2 and 3"
  }

  assert {
    condition = sort(concat([aws_instance.this.availability_zone], [for node in aws_instance.swarm_peer : node.availability_zone])) == tolist([
      "eu-central-1a", "eu-central-1b", "eu-central-1c",
    ])
    error_message = "the three nodes must sit in three distinct availability zones"
  }

  assert {
    condition = alltrue([
      for node in concat([aws_instance.this], values(aws_instance.swarm_peer)) :
      node.subnet_id == data.aws_subnet.swarm[node.availability_zone].id && data.aws_subnet.swarm[node.availability_zone].availability_zone == node.availability_zone
    ])
    error_message = "each node must use the default subnet of its own zone"
  }

  assert {
    condition = alltrue([
      for node in concat([aws_instance.this], values(aws_instance.swarm_peer)) :
      node.instance_type == "t3.medium" && node.metadata_options[0].http_tokens == "required" && node.root_block_device[0].encrypted &&
      node.vpc_security_group_ids == toset([aws_security_group.this.id]) && node.user_data_replace_on_change
    ])
    error_message = "every node: swarm_instance_type, IMDSv2 only, encrypted root volume, the shared security group"
  }

  assert {
    condition     = [aws_instance.this.private_ip, aws_instance.swarm_peer["2"].private_ip, aws_instance.swarm_peer["3"].private_ip] == ["172.31.16.10", "172.31.16.11", "172.31.16.12"]
    error_message = "nodes get fixed private addresses (.10, .11, .12 of their subnet) that the user data can list"
  }

  assert {
    condition     = aws_instance.this.tags["Name"] == "taskplatform-node-1" && aws_instance.swarm_peer["3"].tags["Name"] == "taskplatform-node-3"
    error_message = "nodes are named by their index"
  }

  assert {
    condition     = alltrue([for key, assoc in aws_eip_association.swarm_peer : assoc.instance_id == aws_instance.swarm_peer[key].id && assoc.allocation_id == aws_eip.swarm_peer[key].id])
    error_message = "every peer has its own Elastic IP"
  }

  assert {
    condition     = length(output.node_public_ips) == 3 && output.node_private_ips == ["172.31.16.10", "172.31.16.11", "172.31.16.12"]
    error_message = "outputs list every node"
  }

  assert {
    condition     = strcontains(output.dns_hint, "one A record per node") && strcontains(output.dns_hint, "NLB")
    error_message = "the DNS hint names both ways in: one A record per node, or a load balancer"
  }
}

run "swarm_ports_between_nodes_only" {
  command = plan

  variables {
    node_count = 3
  }

  assert {
    condition = sort([
      for rule in aws_vpc_security_group_ingress_rule.swarm :
      rule.from_port == null ? rule.ip_protocol : "${rule.ip_protocol}/${rule.from_port}-${rule.to_port}"
      ]) == sort([
      "tcp/2377-2377", "tcp/7946-7946", "udp/7946-7946", "udp/4789-4789", "50", "tcp/5000-5000",
      "tcp/5432-5432", "tcp/8008-8008", "tcp/2379-2380", "tcp/6379-6379", "tcp/26379-26379",
    ])
    error_message = "Swarm (2377, 7946, 4789, ESP), the registry (5000) and the database ports (PostgreSQL, Patroni, etcd, Redis, Sentinel), nothing else"
  }

  assert {
    condition = alltrue([
      for rule in aws_vpc_security_group_ingress_rule.swarm :
      rule.referenced_security_group_id == aws_security_group.this.id && rule.security_group_id == aws_security_group.this.id &&
      rule.cidr_ipv4 == null && rule.cidr_ipv6 == null && rule.prefix_list_id == null
    ])
    error_message = "the Swarm and database ports must be open only from the nodes' own security group"
  }

  assert {
    condition = length(aws_vpc_security_group_ingress_rule.public) == 4 && alltrue([
      for rule in aws_vpc_security_group_ingress_rule.public : contains([80, 443], rule.from_port)
    ])
    error_message = "80/443 stay open to everyone on every node (the proxy runs on each)"
  }

  assert {
    condition     = alltrue([for rule in aws_vpc_security_group_ingress_rule.admin : rule.cidr_ipv4 == "203.0.113.7/32"])
    error_message = "SSH, Grafana and Prometheus stay limited to admin_cidr"
  }
}

run "join_token_parameter_and_narrow_iam" {
  command = apply

  variables {
    node_count = 3
  }

  assert {
    condition     = aws_ssm_parameter.swarm_join_token[0].type == "SecureString" && aws_ssm_parameter.swarm_join_token[0].name == "/taskplatform/swarm/manager-join-token"
    error_message = "the join token lives in one SecureString parameter under /<name>/swarm/"
  }

  assert {
    condition     = nonsensitive(aws_ssm_parameter.swarm_join_token[0].value) == "pending-swarm-init"
    error_message = "Terraform only creates a placeholder: the real token never enters the state"
  }

  assert {
    condition     = aws_instance.this.iam_instance_profile == aws_iam_instance_profile.swarm["init"].name && alltrue([for node in aws_instance.swarm_peer : node.iam_instance_profile == aws_iam_instance_profile.swarm["join"].name])
    error_message = "node 1 gets the init profile, the other nodes the join profile"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.swarm_join_token["init"].policy).Statement == [{
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:PutParameter"]
      Resource = "arn:aws:ssm:eu-central-1:123456789012:parameter/taskplatform/swarm/manager-join-token"
    }]
    error_message = "node 1 may read and write that one parameter, nothing else"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.swarm_join_token["join"].policy).Statement == [{
      Effect   = "Allow"
      Action   = ["ssm:GetParameter"]
      Resource = "arn:aws:ssm:eu-central-1:123456789012:parameter/taskplatform/swarm/manager-join-token"
    }]
    error_message = "the joining nodes may only read that one parameter"
  }

  assert {
    condition = alltrue([
      for role in aws_iam_role.swarm : jsondecode(role.assume_role_policy).Statement == [{
        Effect    = "Allow"
        Principal = { Service = "ec2.amazonaws.com" }
        Action    = "sts:AssumeRole"
      }]
    ])
    error_message = "only EC2 may assume the node roles"
  }

  assert {
    condition     = aws_iam_instance_profile.swarm["init"].role == "taskplatform-swarm-init-eu-central-1" && aws_iam_instance_profile.swarm["join"].role == "taskplatform-swarm-join-eu-central-1"
    error_message = "each profile carries its own role, named per region (IAM names are global to the account)"
  }
}

run "node_user_data_joins" {
  command = apply

  variables {
    node_count = 3
  }

  assert {
    condition     = aws_instance.this.user_data == module.swarm_user_data["1"].rendered && aws_instance.swarm_peer["2"].user_data == module.swarm_user_data["2"].rendered
    error_message = "every node boots with its own Swarm user data"
  }

  assert {
    condition = alltrue([
      for text in [
        "NODE_INDEX='2'",
        "PRIVATE_IP='172.31.16.11'",
        "SEED_MANAGER_IPS='172.31.16.10 172.31.16.11 172.31.16.12'",
        "REGION='eu-central-1'",
        "TOKEN_PARAMETER='/taskplatform/swarm/manager-join-token'",
        "TOKEN_PLACEHOLDER='pending-swarm-init'",
        "REPO_REF='v1.2.3'",
        "wait_for \"the join token in $TOKEN_PARAMETER\" token_published",
        "docker swarm join --token \"$token\" --advertise-addr \"$PRIVATE_IP\"",
        "--label-add \"tp.pg=$NODE_INDEX\"",
        "--with-decryption",
        "\"insecure-registries\": [\"%s\"]",
      ] : strcontains(module.swarm_user_data["2"].rendered, text)
    ])
    error_message = "node 2 waits for the token in SSM, joins a manager on its fixed address and labels itself tp.pg=2"
  }

  assert {
    condition     = strcontains(module.swarm_user_data["1"].rendered, "NODE_INDEX='1'") && strcontains(module.swarm_user_data["1"].rendered, "docker swarm init --advertise-addr \"$PRIVATE_IP\" --listen-addr \"$PRIVATE_IP:2377\" >/dev/null")
    error_message = "node 1 initialises the swarm and keeps init's output (a worker token) out of the logs"
  }

  assert {
    condition     = strcontains(module.swarm_user_data["1"].rendered, "put-parameter --region \"$REGION\" --name \"$TOKEN_PARAMETER\" --type SecureString --overwrite") && strcontains(module.swarm_user_data["1"].rendered, "--value \"file://$token_file\"")
    error_message = "node 1 publishes the manager token from a file, never on a command line or in the log"
  }

  assert {
    condition     = strcontains(module.swarm_user_data["1"].rendered, "./scripts/swarm/deploy.sh") && strcontains(module.swarm_user_data["1"].rendered, "wait_for \"nodes 1-$${#seeds[@]}\" labelled_ready_nodes")
    error_message = "node 1 deploys the stack once every node has joined"
  }

  assert {
    condition     = strcontains(module.swarm_user_data["1"].rendered, "SEED_PUBLIC_IPS='198.51.100.20 198.51.100.20 198.51.100.20'")
    error_message = "node 1 knows every node's Elastic IP (certificate names)"
  }

  assert {
    condition     = alltrue([for node in module.swarm_user_data : length(node.rendered) < 16000 && startswith(node.rendered, "#!/usr/bin/env bash\n")])
    error_message = "Swarm user data must be a bash script under EC2's 16 KB limit"
  }
}

run "five_nodes_wrap_around_three_zones" {
  command = apply

  variables {
    node_count = 5
  }

  assert {
    condition     = length(aws_instance.swarm_peer) == 4 && length(distinct([for node in aws_instance.swarm_peer : node.private_ip])) == 4
    error_message = "five nodes: node 1 and four peers with distinct addresses"
  }

  assert {
    condition     = aws_instance.swarm_peer["4"].availability_zone == aws_instance.this.availability_zone && aws_instance.swarm_peer["5"].availability_zone == aws_instance.swarm_peer["2"].availability_zone
    error_message = "nodes go round-robin over the zones"
  }

  assert {
    condition = alltrue([
      for key in ["1", "2", "3"] :
      strcontains(module.swarm_user_data[key].rendered, "SEED_MANAGER_IPS='172.31.16.10 172.31.16.11 172.31.16.12'\n") &&
      !strcontains(module.swarm_user_data[key].rendered, "172.31.16.13") && !strcontains(module.swarm_user_data[key].rendered, "172.31.16.14")
    ])
    error_message = "nodes 1-3's user data must not depend on later nodes: growing from 3 to 5 must not replace them"
  }

  assert {
    condition     = strcontains(module.swarm_user_data["4"].rendered, "PRIVATE_IP='172.31.16.13'") && strcontains(module.swarm_user_data["4"].rendered, "SEED_MANAGER_IPS='172.31.16.10 172.31.16.11 172.31.16.12'")
    error_message = "node 4 joins one of the first three managers"
  }
}

run "graviton_swarm_nodes_use_arm64_ami" {
  command = plan

  variables {
    node_count          = 3
    swarm_instance_type = "t4g.medium"
  }

  assert {
    condition     = data.aws_ssm_parameter.al2023.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    error_message = "Graviton Swarm nodes need the arm64 AMI"
  }
}

run "two_zones_warn" {
  command = plan

  variables {
    node_count = 3
  }

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names = ["us-west-1a", "us-west-1c"]
    }
  }

  expect_failures = [check.swarm_spans_zones]
}

run "even_node_count_refused" {
  command = plan

  variables {
    node_count = 2
  }

  expect_failures = [var.node_count]
}

run "four_nodes_refused" {
  command = plan

  variables {
    node_count = 4
  }

  expect_failures = [var.node_count]
}

run "zero_nodes_refused" {
  command = plan

  variables {
    node_count = 0
  }

  expect_failures = [var.node_count]
}

run "nine_nodes_refused" {
  command = plan

  variables {
    node_count = 9
  }

  expect_failures = [var.node_count]
}

run "fractional_node_count_refused" {
  command = plan

  variables {
    node_count = 2.5
  }

  expect_failures = [var.node_count]
}

run "small_swarm_instance_refused" {
  command = plan

  variables {
    swarm_instance_type = "t3.small"
  }

  expect_failures = [var.swarm_instance_type]
}

run "bad_swarm_instance_type_refused" {
  command = plan

  variables {
    swarm_instance_type = "t3.medium; reboot"
  }

  expect_failures = [var.swarm_instance_type]
}
