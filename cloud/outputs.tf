output "public_ip" {
  description = "Elastic IP of the server."
  value       = aws_eip.this.public_ip
}

output "app_url" {
  description = "TaskPlatform web app (self-signed certificate until you install your own)."
  value       = "https://${aws_eip.this.public_ip}/"
}

output "grafana_url" {
  description = "Grafana, reachable from admin_cidr only. The admin password is in /root/taskplatform-grafana-admin-password on the host."
  value       = "http://${aws_eip.this.public_ip}:3001/"
}

output "prometheus_url" {
  description = "Prometheus, reachable from admin_cidr only."
  value       = "http://${aws_eip.this.public_ip}:9090/"
}

output "ssh_command" {
  description = "SSH into the server (then: sudo tp status)."
  value       = "ssh -i ~/.ssh/${var.key_name}.pem ec2-user@${aws_eip.this.public_ip}"
}
