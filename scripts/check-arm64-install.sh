#!/usr/bin/env bash
# A real install of niftybox into throw-away arm64 Debian roots under qemu-user-static: what
# scripts/install-pi.sh does on a Pi, short of the hardware. Not part of `npm test` (it takes a long
# time: debootstrap, then native modules compiling under emulation).
#
#   sudo scripts/check-arm64-install.sh [bookworm] [trixie]     (default: both)
#
# Needs: debootstrap, qemu-user-static, binfmt-support (apt-get install qemu-user-static binfmt-support
# debootstrap), root, and the Debian mirror (http://deb.debian.org/debian) plus the npm registry.
# Each suite: debootstrap --arch=arm64 (cached as a tarball in $NIFTYBOX_ARM64_CACHE), a user `pi`
# holding a copy of this checkout, systemctl and raspi-config stubbed (they log what they were asked),
# a /boot/firmware/config.txt ending in a [cm5] section; then
#   1. install-pi.sh --force  (Bookworm: its apt has Node 18, so the expected result is the clear
#      Node message and exit 69; Trixie: a full install)
#   2. native modules are aarch64 and load; `niftybox doctor` ran and runs; a demo session runs and enters
#   3. a re-run is a no-op upgrade (no apt, no npm ci, service restarted)
#   4. --uninstall removes service, app and command, keeps config and state
# Prints a summary with PASS/FAIL per check and the durations; exit 1 when anything failed.
# KEEP=1 keeps the roots (under /var/tmp) for a look afterwards.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
MIRROR=http://deb.debian.org/debian
CACHE="${NIFTYBOX_ARM64_CACHE:-/var/cache/niftybox-arm64}"
suites=("$@")
[ "${#suites[@]}" -gt 0 ] || suites=(bookworm trixie)
[ "$(id -u)" = 0 ] || { echo "check-arm64-install.sh: run as root (debootstrap, chroot, mounts)" >&2; exit 77; }
for t in debootstrap chroot qemu-aarch64-static; do
  command -v "$t" >/dev/null || { echo "check-arm64-install.sh: $t missing: apt-get install qemu-user-static binfmt-support debootstrap" >&2; exit 69; }
done
[ -f "$repo/dist/cli.js" ] || { echo "check-arm64-install.sh: build first (npm run build): the roots get this checkout with its dist/" >&2; exit 69; }

# binfmt: the kernel must hand aarch64 ELF files to qemu (with the F flag, so it works inside a chroot).
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; fi
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 || { echo "check-arm64-install.sh: qemu-aarch64 binfmt lacks the F flag" >&2; exit 69; }

summary=()
failed=0
t_all=$(date +%s)
pass() { summary+=("PASS  $1"); printf '[check] PASS %s\n' "$1"; }
fail() { summary+=("FAIL  $1"); printf '[check] FAIL %s\n' "$1"; failed=1; }
check() { # description, command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

mounted=()
cleanup() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do m=${mounted[$i]}; umount -l "$m" 2>/dev/null || true; done
  mounted=()
}
trap cleanup EXIT

base_tarball() { # suite → path of a cached minimal arm64 root
  local suite=$1 tar="$CACHE/$1-arm64-minbase.tar.gz" tmp
  if [ ! -f "$tar" ]; then
    mkdir -p "$CACHE"
    tmp="$(mktemp -d /var/tmp/niftybox-debootstrap-"$suite".XXXXXX)"
    echo "[check] debootstrap --arch=arm64 $suite from $MIRROR (cached in $tar afterwards)" >&2
    debootstrap --arch=arm64 --variant=minbase --include=ca-certificates "$suite" "$tmp" "$MIRROR" >&2
    tar -C "$tmp" -czf "$tar.part" . && mv "$tar.part" "$tar"
    rm -rf "$tmp"
  fi
  echo "$tar"
}

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

prepare_root() {
  local suite=$1 tar
  tar="$(base_tarball "$suite")"
  root="$(mktemp -d /var/tmp/niftybox-arm64-"$suite".XXXXXX)"
  tar -C "$root" -xzf "$tar"
  for m in proc sys dev dev/pts; do mkdir -p "$root/$m"; done
  mount -t proc proc "$root/proc" && mounted+=("$root/proc")
  mount -t sysfs sys "$root/sys" && mounted+=("$root/sys")
  mount --bind /dev "$root/dev" && mounted+=("$root/dev")
  mount --bind /dev/pts "$root/dev/pts" && mounted+=("$root/dev/pts")
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  # This machine reaches the internet through a TLS-inspecting proxy: its CAs go into the root too.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    in_root update-ca-certificates >/dev/null 2>&1 || true
    echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$root/etc/npmrc"
  fi
  # Stubs: no systemd or raspi-config in a chroot; they record what the installer asked of them.
  cat >"$root/usr/local/sbin/systemctl" <<'EOF'
#!/bin/sh
echo "systemctl $*" >>/var/log/niftybox-stubs.log
case "$1" in is-active) exit 3 ;; esac
exit 0
EOF
  cat >"$root/usr/local/bin/raspi-config" <<'EOF'
#!/bin/sh
echo "raspi-config $*" >>/var/log/niftybox-stubs.log
EOF
  chmod 0755 "$root/usr/local/sbin/systemctl" "$root/usr/local/bin/raspi-config"
  mkdir -p "$root/boot/firmware"
  printf '# test config.txt\ndtparam=audio=on\n[cm5]\ndtoverlay=dwc2,dr_mode=host\n' >"$root/boot/firmware/config.txt"
  # A user who cloned the repo and runs the installer with sudo.
  in_root useradd --create-home --shell /bin/bash pi
  mkdir -p "$root/home/pi/niftybox"
  tar -C "$repo" --exclude=./node_modules --exclude=./.git --exclude=./tmp --exclude='*.db' -cf - . | tar -C "$root/home/pi/niftybox" -xf -
  in_root chown -R pi:pi /home/pi/niftybox
}

install_as_sudo() { # log file, installer args...
  local log=$1; shift
  set +e
  in_root SUDO_USER=pi bash /home/pi/niftybox/scripts/install-pi.sh "$@" >"$log" 2>&1
  local rc=$?
  set -e
  return $rc
}

elf_machine() { od -An -tx1 -j18 -N2 "$1" | tr -d ' \n'; } # b700 = aarch64

check_suite() {
  local suite=$1 t0 log rc
  t0=$(date +%s)
  echo "[check] ===== $suite ====="
  prepare_root "$suite"
  echo "[check] root: $root ($(($(date +%s) - t0)) s)"
  log="/var/tmp/niftybox-arm64-$suite-install.log"

  local t1
  t1=$(date +%s)
  install_as_sudo "$log" --force && rc=0 || rc=$?
  echo "[check] install exit $rc in $(($(date +%s) - t1)) s (log: $log)"
  local node_candidate
  node_candidate="$(in_root apt-cache policy nodejs | awk '/Candidate:/ {print $2}')"
  if [ "$suite" = bookworm ] && [ "${node_candidate%%.*}" -lt 20 ] 2>/dev/null; then
    check "$suite: apt has nodejs $node_candidate; the installer stops with exit 69" [ "$rc" = 69 ]
    check "$suite: the Node message says how to get Node >= 20 (NodeSource / Trixie)" grep -q 'Node.js >= 20 is needed.*nodesource.*Trixie' "$log"
    check "$suite: nothing installed before the Node check failed" test ! -e "$root/opt/niftybox"
    summary+=("      $suite: $(($(date +%s) - t0)) s")
    teardown
    return
  fi
  check "$suite: install-pi.sh --force exits 0 (nodejs $node_candidate)" [ "$rc" = 0 ]
  if [ "$rc" != 0 ]; then tail -30 "$log"; summary+=("      $suite: $(($(date +%s) - t0)) s"); teardown; return; fi
  check "$suite: said it is not a Raspberry Pi and went on because of --force" grep -q 'not a Raspberry Pi.*installing anyway (--force)' "$log"

  local sqlite_node
  sqlite_node="$(find "$root/opt/niftybox/node_modules/better-sqlite3/build" -name better_sqlite3.node | head -1)"
  local machine=none
  [ -n "$sqlite_node" ] && machine="$(elf_machine "$sqlite_node")"
  check "$suite: better-sqlite3 was compiled for aarch64 (${sqlite_node#"$root"}, e_machine $machine)" [ "$machine" = b700 ]
  check "$suite: better-sqlite3, i2c-bus and onoff load under arm64 node" in_root /usr/bin/node -e "
    const r = require('module').createRequire('/opt/niftybox/package.json');
    new (r('better-sqlite3'))(':memory:').prepare('select 1').get(); r('i2c-bus'); r('onoff');"
  check "$suite: niftybox is on PATH" in_root sh -c 'command -v niftybox'
  check "$suite: the installer ended with niftybox doctor" grep -q 'niftybox doctor (as the service user)' "$log"
  local doctor
  doctor="$(in_root runuser -u niftybox -- niftybox doctor --json || true)"
  echo "$doctor" >"/var/tmp/niftybox-arm64-$suite-doctor.json"
  check "$suite: niftybox doctor --json as the service user uses /etc/niftybox/config.yaml and /var/lib/niftybox" \
    in_root /usr/bin/node -e "const d = JSON.parse(process.argv[1]); process.exit(d.configFile === '/etc/niftybox/config.yaml' && d.stateDir === '/var/lib/niftybox' && d.tokenFile === '/var/lib/niftybox/upstox-token.json' && d.ledger === '/var/lib/niftybox/ledger.db' ? 0 : 1)" "$doctor"
  check "$suite: config.txt backed up, niftybox block once, in its own [all] after the [cm5] section" \
    bash -c "ls '$root'/boot/firmware/config.txt.niftybox-*.bak >/dev/null && [ \"\$(grep -c '>>> niftybox' '$root/boot/firmware/config.txt')\" = 1 ] && awk '/^\\[cm5\\]/{c=NR} /^\\[all\\]/{a=NR} END{exit !(a>c)}' '$root/boot/firmware/config.txt'"
  check "$suite: unit installed, enabled and started" bash -c "[ -f '$root/etc/systemd/system/niftybox.service' ] && grep -q 'systemctl enable niftybox.service' '$root/var/log/niftybox-stubs.log' && grep -q 'systemctl start niftybox.service' '$root/var/log/niftybox-stubs.log'"
  check "$suite: state dir owned by niftybox, mode 770; config root:niftybox 640" \
    bash -c "[ \"\$(chroot '$root' stat -c '%U %a' /var/lib/niftybox)\" = 'niftybox 770' ] && [ \"\$(chroot '$root' stat -c '%U:%G %a' /etc/niftybox/config.yaml)\" = 'root:niftybox 640' ]"
  check "$suite: pi joined group niftybox" bash -c "chroot '$root' id -nG pi | grep -qw niftybox"

  local t2 demo_log="/var/tmp/niftybox-arm64-$suite-demo.log"
  t2=$(date +%s)
  set +e
  # No embedded broker: its port 1883 would be this (shared) machine's.
  printf 'mqtt:\n  embeddedBroker: { enabled: false }\n' >"$root/home/pi/demo.yaml"
  # The default 180 s session: much faster, the emulated CPU lags the virtual clock and the
  # clock-skew guard (rightly) blocks every entry.
  in_root runuser -u pi -- env HOME=/home/pi timeout 1200 niftybox run --demo --config /home/pi/demo.yaml --sessions 1 --db /home/pi/demo.db --display none >"$demo_log" 2>&1
  rc=$?
  set -e
  local entries
  entries="$(grep -c '  BUY  ' "$demo_log" || true)"
  check "$suite: a demo session runs on arm64 to its daily report (exit $rc, $(($(date +%s) - t2)) s)" bash -c "[ $rc = 0 ] && grep -q 'Daily report' '$demo_log'"
  check "$suite: the arm64 demo entered trades ($entries)" [ "$entries" -gt 0 ]

  local t3 log2="/var/tmp/niftybox-arm64-$suite-rerun.log"
  t3=$(date +%s)
  : >"$root/var/log/niftybox-stubs.log"
  install_as_sudo "$log2" --force && rc=0 || rc=$?
  echo "[check] re-run exit $rc in $(($(date +%s) - t3)) s"
  check "$suite: re-run exits 0 in $(($(date +%s) - t3)) s" [ "$rc" = 0 ]
  check "$suite: re-run is a no-op upgrade (no apt-get, npm ci skipped, config kept)" \
    bash -c "! grep -q 'apt-get' '$log2' && grep -q 'npm ci skipped' '$log2' && grep -q 'config.yaml kept' '$log2' && grep -q 'already has the niftybox block' '$log2'"
  check "$suite: re-run restarted the service" grep -q 'systemctl restart niftybox.service' "$root/var/log/niftybox-stubs.log"

  local log3="/var/tmp/niftybox-arm64-$suite-uninstall.log"
  install_as_sudo "$log3" --uninstall && rc=0 || rc=$?
  check "$suite: --uninstall exits 0" [ "$rc" = 0 ]
  check "$suite: --uninstall removed app, command and unit; kept config and state" \
    bash -c "[ ! -e '$root/opt/niftybox' ] && [ ! -e '$root/usr/local/bin/niftybox' ] && [ ! -e '$root/etc/systemd/system/niftybox.service' ] && [ -f '$root/etc/niftybox/config.yaml' ] && [ -d '$root/var/lib/niftybox' ]"
  summary+=("      $suite: $(($(date +%s) - t0)) s")
  teardown
}

teardown() {
  cleanup
  if [ "${KEEP:-0}" = 1 ]; then echo "[check] kept $root"; else rm -rf "$root"; fi
}

for s in "${suites[@]}"; do check_suite "$s"; done

echo
echo "==== check-arm64-install summary ($(($(date +%s) - t_all)) s in all) ===="
printf '%s\n' "${summary[@]}"
exit "$failed"
