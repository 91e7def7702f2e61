# Offline tests: the AWS provider is mocked, nothing is created.
# Run: terraform init -plugin-dir=/opt/tf-plugins && terraform test

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

  mock_resource "aws_eip" {
    defaults = {
      public_ip = "198.51.100.20"
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

run "defaults" {
  command = plan

  assert {
    condition     = aws_instance.this.instance_type == "t3.small"
    error_message = "default instance type must be t3.small"
  }

  assert {
    condition     = data.aws_ssm_parameter.al2023.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    error_message = "AMI must come from the Amazon Linux 2023 SSM public parameter (x86_64 for t3)"
  }

  assert {
    condition     = aws_instance.this.ami == "ami-0123456789abcdef0"
    error_message = "instance must use the AMI resolved through SSM"
  }

  assert {
    condition     = aws_instance.this.key_name == "taskplatform-test"
    error_message = "key pair must be passed through"
  }
}

run "imdsv2_required" {
  command = plan

  assert {
    condition     = aws_instance.this.metadata_options[0].http_tokens == "required"
    error_message = "IMDSv2 must be required (http_tokens = required)"
  }

  assert {
    condition     = aws_instance.this.metadata_options[0].http_endpoint == "enabled"
    error_message = "metadata endpoint stays enabled (IMDSv2 only)"
  }

  assert {
    condition     = aws_instance.this.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "hop limit 1: containers cannot reach the instance metadata"
  }
}

run "root_volume_encrypted" {
  command = plan

  variables {
    root_volume_size = 40
  }

  assert {
    condition     = aws_instance.this.root_block_device[0].encrypted == true
    error_message = "root volume must be encrypted"
  }

  assert {
    condition     = aws_instance.this.root_block_device[0].volume_size == 40
    error_message = "root_volume_size must be applied"
  }

  assert {
    condition     = aws_instance.this.root_block_device[0].volume_type == "gp3"
    error_message = "root volume must be gp3"
  }
}

run "security_group_rules" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.admin) == 3
    error_message = "exactly three admin rules (22, 3001, 9090)"
  }

  assert {
    condition = alltrue([
      for rule in aws_vpc_security_group_ingress_rule.admin : rule.cidr_ipv4 == "203.0.113.7/32" && rule.cidr_ipv6 == null
    ])
    error_message = "SSH, Grafana and Prometheus must be open only to admin_cidr"
  }

  assert {
    condition = sort([for rule in aws_vpc_security_group_ingress_rule.admin : tostring(rule.from_port)]) == sort(["22", "3001", "9090"]) && alltrue([
      for rule in aws_vpc_security_group_ingress_rule.admin : rule.from_port == rule.to_port && rule.ip_protocol == "tcp"
    ])
    error_message = "admin rules must be single TCP ports 22, 3001 and 9090"
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.public) == 4
    error_message = "80 and 443 for IPv4 and IPv6, nothing else public"
  }

  assert {
    condition = alltrue([
      for rule in aws_vpc_security_group_ingress_rule.public :
      contains([80, 443], rule.from_port) && rule.from_port == rule.to_port && rule.ip_protocol == "tcp" &&
      (rule.cidr_ipv4 == "0.0.0.0/0" || rule.cidr_ipv6 == "::/0")
    ])
    error_message = "only 80 and 443 are open to everyone"
  }

  assert {
    condition = alltrue(concat(
      [for rule in aws_vpc_security_group_ingress_rule.admin : rule.cidr_ipv4 != "0.0.0.0/0"],
      [for rule in aws_vpc_security_group_ingress_rule.public : !contains([22, 3001, 9090], rule.from_port)],
    ))
    error_message = "admin ports must never be open to 0.0.0.0/0"
  }
}

run "tags" {
  command = plan

  variables {
    tags = { Environment = "test" }
  }

  assert {
    condition     = aws_instance.this.tags["Project"] == "taskplatform" && aws_instance.this.tags["Environment"] == "test"
    error_message = "instance must carry the default and extra tags"
  }

  assert {
    condition     = aws_instance.this.root_block_device[0].tags["Project"] == "taskplatform"
    error_message = "root volume must be tagged"
  }
}

run "graviton_uses_arm64_ami" {
  command = plan

  variables {
    instance_type = "t4g.small"
  }

  assert {
    condition     = data.aws_ssm_parameter.al2023.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
    error_message = "Graviton instance types need the arm64 AL2023 AMI"
  }
}

run "user_data_content" {
  # apply (mocked): the user data embeds the Elastic IP, which is only known after apply
  command = apply

  variables {
    deploy_mode = "quadlet"
  }

  assert {
    condition     = startswith(module.user_data.rendered, "#!/usr/bin/env bash\n")
    error_message = "user data must be a bash script"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "dnf install -y --setopt=install_weak_deps=False podman")
    error_message = "user data must install Podman"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "ENGINE=docker") && strcontains(module.user_data.rendered, "sha256sum /tmp/docker-compose")
    error_message = "without a podman package the bootstrap falls back to Docker + a checksum-verified compose plugin"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "TP_ENGINE=$ENGINE")
    error_message = "tp must know the container engine"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "REPO_URL='https://github.com/example/taskplatform.git'") && strcontains(module.user_data.rendered, "REPO_REF='v1.2.3'")
    error_message = "user data must fetch the configured repository at the configured ref"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "fetch -q --depth 1 origin \"$REPO_REF\"")
    error_message = "user data must fetch the ref"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "./scripts/setup.sh")
    error_message = "user data must run scripts/setup.sh"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "DEPLOY_MODE='quadlet'") && strcontains(module.user_data.rendered, "./systemd/deploy-quadlet.sh install")
    error_message = "user data must install the Quadlet units"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "cat >/usr/local/bin/tp <<'TP_SCRIPT_EOF'\n#!/usr/bin/env bash\n# tp") && strcontains(module.user_data.rendered, "restore FILE")
    error_message = "user data must install the tp command from cloud/tp"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "install -m 0400 -o root -g root") && strcontains(module.user_data.rendered, "/root/taskplatform-grafana-admin-password")
    error_message = "the Grafana password must land in a root-only file"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "loginctl enable-linger")
    error_message = "rootless units need linger"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "PUBLIC_IP='198.51.100.20'") && strcontains(module.user_data.rendered, "set_env PUBLIC_HOSTNAME \"$PUBLIC_IP\"")
    error_message = "the bootstrap must know the Elastic IP (certificate SANs, URLs)"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "set_env GRAFANA_BIND 0.0.0.0") && strcontains(module.user_data.rendered, "set_env PROMETHEUS_BIND 0.0.0.0")
    error_message = "Grafana/Prometheus must listen on the host so admin_cidr can reach them"
  }

  assert {
    condition     = strcontains(module.user_data.rendered, "set_env COMPOSE_PROFILES grafana,probes")
    error_message = "Grafana is an optional profile: the bootstrap must enable it (grafana_url output)"
  }

  assert {
    condition     = aws_eip_association.this.instance_id == aws_instance.this.id && aws_eip_association.this.allocation_id == aws_eip.this.id
    error_message = "the Elastic IP must be associated with the instance"
  }

  assert {
    condition     = length(module.user_data.rendered) < 16000
    error_message = "EC2 user data is limited to 16 KB: the bootstrap (with tp embedded) is too large"
  }

  assert {
    condition     = aws_instance.this.user_data_replace_on_change == true
    error_message = "a changed bootstrap must replace the instance"
  }
}

run "outputs" {
  command = apply

  assert {
    condition     = output.public_ip == "198.51.100.20"
    error_message = "public_ip must be the Elastic IP"
  }

  assert {
    condition     = output.app_url == "https://198.51.100.20/"
    error_message = "app_url"
  }

  assert {
    condition     = output.grafana_url == "http://198.51.100.20:3001/" && output.prometheus_url == "http://198.51.100.20:9090/"
    error_message = "grafana_url / prometheus_url"
  }

  assert {
    condition     = output.ssh_command == "ssh -i ~/.ssh/taskplatform-test.pem ec2-user@198.51.100.20"
    error_message = "ssh_command"
  }

  assert {
    condition = alltrue([
      for value in [output.public_ip, output.app_url, output.grafana_url, output.prometheus_url, output.ssh_command] :
      !strcontains(lower(value), "password")
    ])
    error_message = "no output may carry a password"
  }
}

run "bad_cidr_refused" {
  command = plan

  variables {
    admin_cidr = "not-a-cidr"
  }

  expect_failures = [var.admin_cidr]
}

run "open_world_cidr_refused" {
  command = plan

  variables {
    admin_cidr = "0.0.0.0/0"
  }

  expect_failures = [var.admin_cidr]
}

run "host_bits_cidr_refused" {
  command = plan

  variables {
    admin_cidr = "203.0.113.7/24"
  }

  expect_failures = [var.admin_cidr]
}

run "ipv6_cidr_refused" {
  command = plan

  variables {
    admin_cidr = "2001:db8::/32"
  }

  expect_failures = [var.admin_cidr]
}

run "shell_injection_in_ref_refused" {
  command = plan

  variables {
    repository_ref = "main'; rm -rf / #"
  }

  expect_failures = [var.repository_ref]
}

run "bad_repository_url_refused" {
  command = plan

  variables {
    repository_url = "ftp://example.com/repo"
  }

  expect_failures = [var.repository_url]
}

run "tiny_root_volume_refused" {
  command = plan

  variables {
    root_volume_size = 4
  }

  expect_failures = [var.root_volume_size]
}

run "bad_deploy_mode_refused" {
  command = plan

  variables {
    deploy_mode = "kubernetes"
  }

  expect_failures = [var.deploy_mode]
}
