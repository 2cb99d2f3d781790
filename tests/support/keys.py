"""An operator SSH key for rendered cloud-configs."""

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv1gq6r0pWj0lAo3P1sH3t2kq2m5Jm4oYkR3J8Kx7yQ ops@example"
