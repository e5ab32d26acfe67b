#!/usr/bin/env bash
# Installs niftybox on a Raspberry Pi (Bookworm) as a hardened systemd service. Run as root from a
# checkout: sudo scripts/install-pi.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }

apt-get update
apt-get install -y nodejs npm i2c-tools build-essential python3
raspi-config nonint do_i2c 0 || echo "raspi-config not found: enable I2C by hand (firmware-config/config.txt.fragment)"

id niftybox >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin niftybox
for g in gpio i2c; do getent group "$g" >/dev/null || groupadd --system "$g"; usermod -aG "$g" niftybox; done

mkdir -p /opt/niftybox /etc/niftybox
rsync -a --delete --exclude node_modules --exclude .git "$here"/ /opt/niftybox/
(cd /opt/niftybox && npm ci && npm run build)
[ -f /etc/niftybox/config.yaml ] || install -m 0640 -g niftybox /opt/niftybox/firmware-config/niftybox.example.yaml /etc/niftybox/config.yaml
[ -f /etc/niftybox/secrets.env ] || install -m 0600 /dev/null /etc/niftybox/secrets.env

if ! grep -q 'niftybox' /boot/firmware/config.txt 2>/dev/null; then
  cat /opt/niftybox/firmware-config/config.txt.fragment >> /boot/firmware/config.txt
  echo "config.txt updated: reboot once for I2C and the button pull-up"
fi
timedatectl set-timezone Asia/Kolkata || true
timedatectl set-ntp true || true

install -m 0644 /opt/niftybox/systemd/niftybox.service /etc/systemd/system/niftybox.service
systemctl daemon-reload
systemctl enable --now niftybox.service
echo "installed. Next: sudo -u niftybox STATE_DIRECTORY=/var/lib/niftybox node /opt/niftybox/dist/cli.js login --token <analytics token>"
echo "then: node /opt/niftybox/dist/cli.js doctor --config /etc/niftybox/config.yaml"
