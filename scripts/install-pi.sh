#!/usr/bin/env bash
# Installs (or upgrades, or removes) niftybox on a Raspberry Pi as the systemd service `niftybox`.
#
#   sudo scripts/install-pi.sh              install, or upgrade an installed box (run it again after git pull)
#   scripts/install-pi.sh --dry-run         print every step, change nothing (any machine, no root needed)
#   sudo scripts/install-pi.sh --force      install on a machine that is not a Raspberry Pi
#   sudo scripts/install-pi.sh --uninstall [--purge]
#                                           remove the service, the app and the `niftybox` command;
#                                           --purge also deletes the config, the ledger and the token
#
# Layout: app /opt/niftybox, command /usr/local/bin/niftybox, config /etc/niftybox/config.yaml,
# state (ledger, token) /var/lib/niftybox, unit /etc/systemd/system/niftybox.service.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
APP=/opt/niftybox
ETC=/etc/niftybox
STATE=/var/lib/niftybox
BIN=/usr/local/bin/niftybox
UNIT=/etc/systemd/system/niftybox.service
SERVICE_USER=niftybox
NODE_MAJOR_MIN=20
BLOCK_BEGIN='# >>> niftybox (scripts/install-pi.sh): remove this block to undo'
BLOCK_END='# <<< niftybox'

dry_run=0 force=0 uninstall=0 purge=0
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --force) force=1 ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-pi.sh: unknown option $arg" >&2; usage >&2; exit 64 ;;
  esac
done
if [ "$purge" = 1 ] && [ "$uninstall" = 0 ]; then echo "install-pi.sh: --purge goes with --uninstall" >&2; exit 64; fi

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { local code=$1; shift; printf 'install-pi.sh: %s\n' "$*" >&2; exit "$code"; }
# Every change goes through run: printed always, executed unless --dry-run.
run() {
  if [ "$dry_run" = 1 ]; then printf '    would run: %s\n' "$*"; else printf '    + %s\n' "$*"; "$@"; fi
}
# Writes stdin to a file (through run, so --dry-run only says so), durably as src/lib/durable-file.ts does:
# a temporary file beside it, fsynced, renamed into place, the folder fsynced (a power cut leaves the old
# file or the new one, never an empty one).
write_file() { # path mode owner:group
  local tmp
  if [ "$dry_run" = 1 ]; then cat >/dev/null; printf '    would write %s (mode %s, %s)\n' "$1" "$2" "$3"; return; fi
  tmp="$(dirname "$1")/.$(basename "$1").$$.tmp"
  (umask 077; cat >"$tmp")
  if ! { chmod "$2" "$tmp" && chown "$3" "$tmp" && sync "$tmp" && mv -f "$tmp" "$1" && sync "$(dirname "$1")"; }; then
    rm -f "$tmp"; die 74 "cannot write $1"
  fi
  printf '    wrote %s\n' "$1"
}

[ "$dry_run" = 1 ] && say "dry run: nothing will be changed"
if [ "$dry_run" = 0 ] && [ "$(id -u)" != 0 ]; then die 77 "run as root: sudo $0 $*"; fi

have() { command -v "$1" >/dev/null 2>&1; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# The Pi's own name for itself, or nothing on other machines.
pi_model() {
  local f
  for f in /proc/device-tree/model /sys/firmware/devicetree/base/model; do
    if [ -r "$f" ]; then tr -d '\0' <"$f"; return; fi
  done
}
boot_config() {
  if [ -f /boot/firmware/config.txt ]; then echo /boot/firmware/config.txt; elif [ -f /boot/config.txt ]; then echo /boot/config.txt; fi
}

# ---------------------------------------------------------------- uninstall
if [ "$uninstall" = 1 ]; then
  say "stopping and removing the niftybox service"
  if have systemctl; then
    run systemctl disable --now niftybox.service || true
  fi
  [ -e "$UNIT" ] && run rm -f "$UNIT"
  have systemctl && run systemctl daemon-reload
  say "removing the app ($APP) and the command ($BIN)"
  [ -e "$APP" ] && run rm -rf "$APP"
  [ -e "$BIN" ] && run rm -f "$BIN"
  if [ "$purge" = 1 ]; then
    say "purging config, ledger and token"
    run rm -rf "$ETC" "$STATE"
    cfg="$(boot_config)"
    if [ -n "$cfg" ] && grep -qF "$BLOCK_BEGIN" "$cfg"; then
      run cp -p "$cfg" "$cfg.niftybox-$(date +%Y%m%d%H%M%S).bak"
      if [ "$dry_run" = 0 ]; then
        awk -v b="$BLOCK_BEGIN" -v e="$BLOCK_END" '$0==b{skip=1;next} skip&&$0==e{skip=0;next} !skip' "$cfg" >"$cfg.niftybox-tmp" && cat "$cfg.niftybox-tmp" >"$cfg" && rm -f "$cfg.niftybox-tmp"
      fi
      note "removed the niftybox block from $cfg (backup beside it)"
    fi
    if id "$SERVICE_USER" >/dev/null 2>&1; then run userdel "$SERVICE_USER" || true; fi
    if getent group niftybox >/dev/null; then run groupdel niftybox || true; fi
  else
    note "kept: $ETC (config), $STATE (ledger, token), the niftybox user; --uninstall --purge removes them"
  fi
  say "niftybox removed"
  exit 0
fi

# ---------------------------------------------------------------- checks
say "checking the machine"
model="$(pi_model || true)"
if [[ "$model" == *"Raspberry Pi"* ]]; then
  note "Raspberry Pi: $model"
else
  msg="this is not a Raspberry Pi (/proc/device-tree/model says '${model:-nothing}')"
  if [ "$dry_run" = 1 ]; then note "$msg: a real install stops here unless given --force"
  elif [ "$force" = 1 ]; then note "$msg: installing anyway (--force); without the OLED, button and buzzer use display: none and the simulated button"
  else die 69 "$msg: re-run with --force to install anyway"; fi
fi
have apt-get || [ "$dry_run" = 1 ] || die 69 "apt-get not found: this installer is for Raspberry Pi OS / Debian"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
apt_node_version() { apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}'; }
node_advice="Install Node.js $NODE_MAJOR_MIN or newer, then run this script again. On Raspberry Pi OS Bookworm (its apt has Node 18): curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash - && sudo apt-get install -y nodejs (NodeSource's package, npm included). Raspberry Pi OS Trixie's apt already has Node 20, so upgrading the OS also works."

# ---------------------------------------------------------------- packages
say "system packages"
# Every tool this script and the app's native modules (better-sqlite3, i2c-bus, onoff) use.
pkgs=(ca-certificates rsync build-essential python3 i2c-tools)
need_node=0
if have node && [ "$(node_major)" -ge "$NODE_MAJOR_MIN" ]; then
  note "node $(node -v) found"
else
  need_node=1
  pkgs+=(nodejs)
fi
missing=()
for p in "${pkgs[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  run apt-get update
  if [ "$need_node" = 1 ]; then
    candidate="$(apt_node_version)"
    cmajor="${candidate%%.*}"; cmajor="${cmajor#*:}"
    if ! [[ "$cmajor" =~ ^[0-9]+$ ]] || [ "$cmajor" -lt "$NODE_MAJOR_MIN" ]; then
      have_msg="apt offers nodejs ${candidate:-(none)}"
      have node && have_msg="node $(node -v) is installed and $have_msg"
      if [ "$dry_run" = 1 ]; then note "Node.js >= $NODE_MAJOR_MIN is needed but $have_msg: a real install stops here. $node_advice"
      else die 69 "Node.js >= $NODE_MAJOR_MIN is needed, but $have_msg. $node_advice"; fi
    fi
  fi
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  note "all present: ${pkgs[*]}"
fi
if [ "$dry_run" = 0 ] && [ "$(node_major)" -lt "$NODE_MAJOR_MIN" ]; then die 69 "node $(node -v 2>/dev/null || echo missing) is older than $NODE_MAJOR_MIN. $node_advice"; fi
# Debian's nodejs comes without npm and without headers for node-gyp (NodeSource's has both).
if ! have npm; then run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm; fi
gyp_env=()
if pkg_installed nodejs && ! dpkg-query -W -f='${Version}' nodejs | grep -q nodesource; then
  pkg_installed libnode-dev || run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libnode-dev
  gyp_env=(npm_config_nodedir=/usr)
fi
node_bin="$(command -v node || echo /usr/bin/node)"

# ---------------------------------------------------------------- users and groups
say "service user and groups"
id "$SERVICE_USER" >/dev/null 2>&1 || run useradd --system --user-group --no-create-home --home-dir "$STATE" --shell /usr/sbin/nologin "$SERVICE_USER"
for g in gpio i2c; do
  getent group "$g" >/dev/null || run groupadd --system "$g"
  id -nG "$SERVICE_USER" 2>/dev/null | tr ' ' '\n' | grep -qx "$g" || run usermod -aG "$g" "$SERVICE_USER"
done
# The user who ran sudo may run niftybox status, halt, resume and report (group niftybox).
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  if id -nG "$SUDO_USER" | tr ' ' '\n' | grep -qx niftybox; then note "$SUDO_USER is in group niftybox"
  else run usermod -aG niftybox "$SUDO_USER"; note "$SUDO_USER joins group niftybox (log in again for it to count)"; fi
fi

# ---------------------------------------------------------------- the app
say "building the app from $here"
stale=0
if [ ! -f "$here/dist/cli.js" ]; then stale=1
elif [ -n "$(find "$here/src" "$here/package.json" "$here/package-lock.json" -newer "$here/dist/cli.js" -print -quit 2>/dev/null)" ]; then stale=1; fi
if [ "$stale" = 1 ]; then
  owner="$(stat -c %U "$here")"
  as_owner=()
  [ "$(id -u)" = 0 ] && [ "$owner" != root ] && as_owner=(runuser -u "$owner" --)
  # Only TypeScript is needed to build: skip the dev tools' install scripts (no native builds here).
  run "${as_owner[@]}" sh -c "cd '$here' && npm ci --ignore-scripts --no-audit --no-fund && npm run build"
else
  note "dist/ is up to date"
fi

say "installing the app in $APP"
upgrade=0
[ -f "$APP/dist/cli.js" ] && upgrade=1 && note "an installed niftybox: upgrading it in place"
run mkdir -p "$APP"
run rsync -a --delete --exclude=/node_modules --exclude=/.git --exclude=/src --exclude=/test --exclude=/tmp --exclude=/coverage --exclude='*.db' --exclude=/.installed-lock "$here"/ "$APP"/
# Built already: `prepare` (tsc) must not run in a production install without dev dependencies.
run sh -c "cd '$APP' && npm pkg delete scripts.prepare"

lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1) node-$(node -v 2>/dev/null || echo none)"
if [ -d "$APP/node_modules" ] && [ "$(cat "$APP/.installed-lock" 2>/dev/null)" = "$lock_sum" ]; then
  note "dependencies unchanged (package-lock.json and node as installed): npm ci skipped"
else
  note "installing the runtime dependencies (native modules compile for this machine; minutes on a Pi)"
  # The running service must not load modules while they are being replaced.
  [ "$upgrade" = 1 ] && have systemctl && { run systemctl stop niftybox.service || true; }
  # A dropped connection (Wi-Fi, a busy registry) must not leave a half install: npm retries each
  # download, and the whole step is tried three times before the installer gives up.
  for attempt in 1 2 3; do
    if run env "${gyp_env[@]}" sh -c "cd '$APP' && npm ci --omit=dev --no-audit --no-fund --fetch-retries=5 --fetch-retry-maxtimeout=120000"; then break; fi
    [ "$attempt" = 3 ] && die 75 "npm ci failed three times (is the npm registry reachable from this Pi?): check the network and run the installer again (the code in $APP is new, its modules are not yet)"
    note "npm ci failed (attempt $attempt of 3, often a dropped connection): trying again in 15 s"
    sleep 15
  done
  if [ "$dry_run" = 1 ]; then note "would record the lockfile checksum in $APP/.installed-lock"; else echo "$lock_sum" >"$APP/.installed-lock"; fi
fi

say "the niftybox command"
write_file "$BIN" 0755 root:root <<EOF
#!/bin/sh
# niftybox on PATH (scripts/install-pi.sh): the same config and state as the service.
exec $node_bin $APP/dist/cli.js "\$@"
EOF

# ---------------------------------------------------------------- config and state
say "config ($ETC) and state ($STATE)"
run install -d -m 0750 -o root -g niftybox "$ETC"
if [ -f "$ETC/config.yaml" ]; then note "$ETC/config.yaml kept as it is"
else run install -m 0640 -o root -g niftybox "$here/firmware-config/niftybox.example.yaml" "$ETC/config.yaml"; fi
[ -f "$ETC/secrets.env" ] || run install -m 0600 -o root -g root /dev/null "$ETC/secrets.env"
# The page can halt the box: it gets a password unless the config or secrets.env already set one.
# Generated once, printed once, kept in secrets.env (root-only, read by the service's unit).
page_password=''
if [ -f "$ETC/secrets.env" ] && grep -q '^NIFTYBOX_WEB_PASSWORD=' "$ETC/secrets.env"; then
  note "page password: kept (NIFTYBOX_WEB_PASSWORD in $ETC/secrets.env)"
elif [ -f "$ETC/config.yaml" ] && sed -n '/^web:/,/^[^ #]/p' "$ETC/config.yaml" | grep -Eq '^[[:space:]]+password:[[:space:]]*[^[:space:]#]'; then
  note "page password: web.password in $ETC/config.yaml"
elif [ "$dry_run" = 1 ]; then
  note "would generate a page password into $ETC/secrets.env (NIFTYBOX_WEB_PASSWORD) and print it once"
else
  page_password="$("$node_bin" -e "process.stdout.write(require('crypto').randomBytes(15).toString('base64url'))")"
  printf 'NIFTYBOX_WEB_PASSWORD=%s\n' "$page_password" >>"$ETC/secrets.env"
  note "page password generated into $ETC/secrets.env (NIFTYBOX_WEB_PASSWORD)"
fi
# The service owns its state; group niftybox may reach the control socket and read the ledger.
run install -d -m 0770 -o "$SERVICE_USER" -g niftybox "$STATE"

# ---------------------------------------------------------------- firmware (I2C, button pull-up, buzzer)
say "firmware config"
cfg="$(boot_config)"
if [ -z "$cfg" ]; then
  note "no /boot/firmware/config.txt: add firmware-config/config.txt.fragment to your boot config by hand"
elif grep -qF "$BLOCK_BEGIN" "$cfg"; then
  note "$cfg already has the niftybox block"
else
  run cp -p "$cfg" "$cfg.niftybox-$(date +%Y%m%d%H%M%S).bak"
  # An [all] of its own, so the lines cannot land under a [cm5] or [pi4] section the file ends with.
  { printf '\n%s\n[all]\n' "$BLOCK_BEGIN"; grep -v '^#' "$here/firmware-config/config.txt.fragment" | grep -v '^$'; printf '%s\n' "$BLOCK_END"; } >"${TMPDIR:-/tmp}/niftybox-fragment.$$"
  if [ "$dry_run" = 1 ]; then note "would append to $cfg:"; sed 's/^/      /' "${TMPDIR:-/tmp}/niftybox-fragment.$$"
  else cat "${TMPDIR:-/tmp}/niftybox-fragment.$$" >>"$cfg"; note "$cfg: niftybox block added (backup beside it); reboot once for I2C and the button pull-up"; fi
  rm -f "${TMPDIR:-/tmp}/niftybox-fragment.$$"
fi
if have raspi-config; then run raspi-config nonint do_i2c 0
else note "raspi-config not found: I2C comes from the config.txt block"; fi
if [ ! -f /etc/rpi-issue ] && [ -d /etc/udev/rules.d ]; then
  # Raspberry Pi OS ships these rules; elsewhere group i2c/gpio need them.
  run install -m 0644 "$here/firmware-config/99-niftybox.rules" /etc/udev/rules.d/99-niftybox.rules
fi
have timedatectl && { run timedatectl set-ntp true || true; }

# ---------------------------------------------------------------- service
say "systemd service"
sed "s|/usr/bin/node |$node_bin |" "$here/systemd/niftybox.service" | write_file "$UNIT" 0644 root:root
run systemctl daemon-reload
run systemctl enable niftybox.service
if [ "$upgrade" = 1 ]; then run systemctl restart niftybox.service; else run systemctl start niftybox.service; fi

# ---------------------------------------------------------------- check
say "niftybox doctor (as the service user)"
if [ "$dry_run" = 1 ]; then
  note "would run: runuser -u $SERVICE_USER -- $BIN doctor"
else
  runuser -u "$SERVICE_USER" -- "$BIN" doctor || note "doctor found something to fix (above); a fresh box has no Upstox token yet"
fi

cat <<EOF

$([ "$dry_run" = 1 ] && echo 'Dry run done: nothing was changed. After a real install:' || echo 'niftybox is installed.')
  go live:   sudo niftybox login --token <Upstox Analytics token>   (then: sudo systemctl restart niftybox)
  watch it:  journalctl -u niftybox -f
             niftybox status
             mosquitto_sub -h 127.0.0.1 -t 'niftybox/#' -v
  check:     niftybox doctor
  upgrade:   git pull && sudo scripts/install-pi.sh        remove: sudo scripts/install-pi.sh --uninstall [--purge]
EOF
if [ -n "$page_password" ]; then
  cat <<EOF
  the page:  http://$(hostname).local:8080/  user: any name, password: $page_password
             (shown only now; it is NIFTYBOX_WEB_PASSWORD in $ETC/secrets.env)
EOF
fi
