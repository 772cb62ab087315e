#!/usr/bin/env bash
# The Debian package, end to end on this machine (needs root: CI runs as root on a fresh
# Debian 12; as another user the test reports SKIPPED with exit 77):
#   cpack -G DEB -> lintian (no errors) -> dpkg -i (maintainer scripts with or without a running
#   systemd) -> user, files and modes as documented -> the broker runs as the service user ->
#   dpkg -r keeps the store and the config -> dpkg --purge keeps the store.
# It refuses to run where an ofbridge package is already installed, and removes what it made.
#   test_deb.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the .deb test installs a package and creates a system user; run it as root (CI does)"
  exit 77
fi
if dpkg-query -W -f='${Status}' ofbridge 2>/dev/null | grep -q "installed"; then
  echo "FAIL: an ofbridge package is installed here; this test will not touch it"
  exit 1
fi
user_existed=no
getent passwd ofbridge >/dev/null && user_existed=yes
state_existed=no
[ -e /var/lib/ofbridge ] && state_existed=yes

work=$(mktemp -d)
broker_pid=
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  dpkg --purge ofbridge >/dev/null 2>&1 || true
  [ "$state_existed" = no ] && rm -rf /var/lib/ofbridge
  [ "$user_existed" = no ] && getent passwd ofbridge >/dev/null && deluser --quiet --system ofbridge >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
check_mode() {  # path owner:group octal-mode
  local got
  got=$(stat -c '%U:%G %a' "$1") || fail "$1 missing"
  [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
  echo "ok: $1 $2 $3"
}

echo "== cpack -G DEB"
(cd "$build_dir" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/ofbridge_*.deb)
echo "built $(basename "$deb")"
dpkg-deb -I "$deb" | sed -n '/Package:/,$p'

echo "== lintian"
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$work/lintian.log" || fail "lintian reports errors"
! grep -q '^E:' "$work/lintian.log" || fail "lintian reports errors"
echo "ok: no lintian errors"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libssl3 libsqlite3-0 libsystemd0 adduser; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
echo "ok: Depends: $depends"

echo "== dpkg -i (running systemd: $([ -d /run/systemd/system ] && echo yes || echo no))"
dpkg -i "$deb"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd ofbridge) || fail "no ofbridge user"
[ "$uid" -lt 1000 ] || fail "ofbridge is not a system user (uid $uid)"
[ "$home" = /var/lib/ofbridge ] || fail "home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "shell is $shell"
echo "ok: system user ofbridge (uid $uid, home $home, shell $shell)"
check_mode /usr/bin/ofbridge root:root 755
check_mode /etc/ofbridge/ofbridge.toml ofbridge:ofbridge 600
check_mode /var/lib/ofbridge ofbridge:ofbridge 700
check_mode /lib/systemd/system/ofbridge.service root:root 644
check_mode /usr/share/man/man1/ofbridge.1.gz root:root 644
check_mode /usr/share/doc/ofbridge/examples/ofbridge.toml root:root 644
dpkg-query -W -f='${Conffiles}\n' ofbridge | grep -q '/etc/ofbridge/ofbridge.toml' || fail "config is not a conffile"
echo "ok: /etc/ofbridge/ofbridge.toml is a conffile"
grep -q '^data_dir = "/var/lib/ofbridge"$' /etc/ofbridge/ofbridge.toml || fail "installed config does not keep its data in /var/lib/ofbridge"
[ ! -e /etc/systemd/system/multi-user.target.wants/ofbridge.service ] || fail "service enabled before credentials were set"
echo "ok: the service is not enabled"
/usr/bin/ofbridge --version
zcat /usr/share/man/man1/ofbridge.1.gz | grep -q 'ofbridge backup' || fail "man page lacks the subcommands"

echo "== the installed broker as the service user"
INVOCATION_ID=test-invocation setpriv --reuid=ofbridge --regid=ofbridge --clear-groups /usr/bin/ofbridge serve --config /etc/ofbridge/ofbridge.toml \
  --listen 127.0.0.1:0 >"$work/refused.out" 2>&1 && fail "the sample api_key was accepted under a service manager"
grep -q 'change-me' "$work/refused.out" || fail "no message about the sample api_key: $(cat "$work/refused.out")"
echo "ok: refused under a service manager: $(head -1 "$work/refused.out")"
# setpriv execs the broker itself (no runuser in between), so $! is the broker.
as_ofbridge=(setpriv --reuid=ofbridge --regid=ofbridge --clear-groups)
"${as_ofbridge[@]}" /usr/bin/ofbridge serve --config /etc/ofbridge/ofbridge.toml --listen 127.0.0.1:0 \
  >"$work/broker.out" 2>"$work/broker.err" &
broker_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/broker.out" 2>/dev/null && break; sleep 0.1; done
address=$(sed -n 's/^listening on //p' "$work/broker.out")
[ -n "$address" ] || { cat "$work/broker.err"; fail "the installed broker did not start"; }
[ "$(curl -sS "http://$address/healthz")" = ok ] || fail "healthz"
kill -TERM "$broker_pid"; wait "$broker_pid" || fail "broker exit code $?"
broker_pid=
check_mode /var/lib/ofbridge/ofbridge.db ofbridge:ofbridge 600
"${as_ofbridge[@]}" /usr/bin/ofbridge backup --config /etc/ofbridge/ofbridge.toml /var/lib/ofbridge/backup.db
check_mode /var/lib/ofbridge/backup.db ofbridge:ofbridge 600

echo "== dpkg -r keeps the store and the config"
dpkg -r ofbridge
[ ! -e /usr/bin/ofbridge ] || fail "binary left after remove"
[ -f /var/lib/ofbridge/ofbridge.db ] || fail "the store was removed"
[ -f /etc/ofbridge/ofbridge.toml ] || fail "the config was removed"
echo "ok: removed; /var/lib/ofbridge/ofbridge.db and /etc/ofbridge/ofbridge.toml kept"
dpkg --purge ofbridge
[ -f /var/lib/ofbridge/ofbridge.db ] || fail "purge removed the store"
[ ! -e /etc/ofbridge/ofbridge.toml ] || fail "purge left the config"
echo "ok: purged; the store is kept"
echo "PASS"
