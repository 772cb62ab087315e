#!/usr/bin/env bash
# systemd-analyze verify on etc/ofbridge.service, offline (no systemd as PID 1 needed):
# --man=no skips the Documentation= man page lookup, and ExecStart points at the built binary
# because /usr/bin/ofbridge exists only once the package is installed.
#   verify_unit.sh SOURCE_DIR BINARY
set -euo pipefail
source_dir=$1
binary=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/bin/ofbridge|$binary|" "$source_dir/etc/ofbridge.service" > "$work/ofbridge.service"
out=$(systemd-analyze verify --man=no "$work/ofbridge.service" 2>&1) || {
  echo "systemd-analyze verify failed:"; echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "systemd-analyze verify warned:"; echo "$out"; exit 1; fi
# The hardening the unit promises, as systemd itself scores it: exposure at most 3.0 of 10
# (--threshold counts in tenths).
systemd-analyze security --offline=yes --threshold=30 "$work/ofbridge.service" | tail -1
echo "ok: etc/ofbridge.service verifies"
