variable "region" {
  description = "AWS region to deploy into, e.g. eu-central-1."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like an AWS region name, e.g. eu-central-1 or us-east-1."
  }
}

variable "name" {
  description = "Name prefix for every resource (and the Name tag)."
  type        = string
  default     = "taskplatform"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters: lower-case letters, digits and dashes, starting with a letter."
  }
}

variable "instance_type" {
  description = "EC2 instance type. x86_64 and Graviton (the 'g' families, e.g. t4g.small) both work: the AMI architecture follows the type."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like an EC2 instance type, e.g. t3.small."
  }
}

variable "key_name" {
  description = "Name of an existing EC2 key pair for SSH access (ec2-user)."
  type        = string

  validation {
    condition     = length(var.key_name) > 0 && length(var.key_name) <= 255
    error_message = "key_name must be the name of an existing EC2 key pair (1-255 characters)."
  }
}

variable "admin_cidr" {
  description = "IPv4 CIDR allowed to reach SSH (22), Grafana (3001) and Prometheus (9090), e.g. 203.0.113.7/32. Required; 0.0.0.0/0 is refused."
  type        = string

  validation {
    condition     = can(cidrhost(var.admin_cidr, 0)) && can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", var.admin_cidr))
    error_message = "admin_cidr must be an IPv4 CIDR such as 203.0.113.7/32."
  }

  validation {
    condition     = !can(regex("/0$", var.admin_cidr))
    error_message = "admin_cidr must not open the admin ports to the whole internet (/0); use your own address, e.g. 203.0.113.7/32."
  }

  validation {
    condition     = !can(cidrhost(var.admin_cidr, 0)) || try(cidrsubnet(var.admin_cidr, 0, 0) == var.admin_cidr, false)
    error_message = "admin_cidr must be a network address (no host bits set), e.g. 203.0.113.0/24 rather than 203.0.113.7/24."
  }
}

variable "repository_url" {
  description = "Git URL the instance clones TaskPlatform from (https:// or git@)."
  type        = string

  validation {
    condition     = can(regex("^(https://[A-Za-z0-9._~:/@%+-]+|git@[A-Za-z0-9.-]+:[A-Za-z0-9._/~-]+)$", var.repository_url))
    error_message = "repository_url must be an https:// or git@host:path URL without quotes, spaces or shell metacharacters."
  }
}

variable "repository_ref" {
  description = "Branch, tag or commit to deploy."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$", var.repository_ref)) && !can(regex("\\.\\.", var.repository_ref))
    error_message = "repository_ref must be a branch, tag or commit: letters, digits, '.', '_', '/', '-' (no '..')."
  }
}

variable "root_volume_size" {
  description = "Root volume size in GiB (gp3, encrypted). Holds images, volumes and backups."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size >= 10 && var.root_volume_size <= 1000 && floor(var.root_volume_size) == var.root_volume_size
    error_message = "root_volume_size must be a whole number of GiB between 10 and 1000."
  }
}

variable "tags" {
  description = "Extra tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "deploy_mode" {
  description = "How the host runs the stack: quadlet (rootless systemd units, needs Podman >= 5.0), compose (scripts/deploy.sh with podman compose), or auto (quadlet when the installed Podman is new enough, else compose)."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "quadlet", "compose"], var.deploy_mode)
    error_message = "deploy_mode must be one of auto, quadlet, compose."
  }
}

variable "node_count" {
  description = "1 (default): today's single host (Podman, compose or Quadlet). 3 (or 5, 7): a Docker Swarm of that many manager nodes across availability zones, running the stack with PostgreSQL (Patroni) and Redis (Sentinel) failover."
  type        = number
  default     = 1

  validation {
    condition     = var.node_count == 1 || (var.node_count >= 3 && var.node_count <= 7 && var.node_count % 2 == 1)
    error_message = "node_count must be 1 (one host) or an odd number from 3 to 7 (a Swarm needs an odd number of managers to keep a Raft majority)."
  }
}

variable "swarm_instance_type" {
  description = "EC2 instance type of every Swarm node (node_count >= 3). Each node runs a PostgreSQL member, etcd, Redis, a Sentinel, an API replica and the proxy: 4 GiB of memory is the practical minimum."
  type        = string
  default     = "t3.medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.swarm_instance_type))
    error_message = "swarm_instance_type must look like an EC2 instance type, e.g. t3.medium."
  }

  validation {
    condition     = !can(regex("\\.(nano|micro|small)$", var.swarm_instance_type))
    error_message = "swarm_instance_type needs at least 4 GiB of memory (e.g. t3.medium or t4g.medium): nano, micro and small types cannot hold a Swarm node."
  }
}
