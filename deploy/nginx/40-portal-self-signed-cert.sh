#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts (/docker-entrypoint.d/): make a
# self-signed certificate for local use unless one is already there (the "proxycerts"
# volume keeps it across restarts; production mounts its own certificate instead).
set -eu
dir=/etc/nginx/certs
if [ ! -s "$dir/portal.crt" ] || [ ! -s "$dir/portal.key" ]; then
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
    -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/portal.key" -out "$dir/portal.crt" 2>/dev/null
  chmod 600 "$dir/portal.key"
  echo "portal: self-signed certificate for localhost written to $dir"
fi
