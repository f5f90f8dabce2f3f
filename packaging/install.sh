#!/bin/sh
# Installs Penjaga from this tarball (for servers without dpkg, e.g. RPM-based ones), as root:
#   ./install.sh              install or upgrade: programs, units and (when absent) sample configs
#   ./install.sh --uninstall  remove the programs and units; configuration, secrets, the store,
#                             the backups and the users stay
# Needs Java 17 (e.g. dnf install java-17-openjdk-headless).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }
UNITS=/etc/systemd/system
PROGRAMS="/usr/share/penjaga/penjaga-agent.jar /usr/share/penjaga/penjaga-collector.jar /usr/share/penjaga/penjaga-setup
/usr/share/penjaga/penjaga-cds /usr/share/penjaga/penjaga-agent.jsa
/usr/bin/penjaga-agent /usr/bin/penjaga-collector $UNITS/penjaga-agent.service $UNITS/penjaga-collector.service"

if [ "${1:-}" = "--uninstall" ]; then
  if [ -d /run/systemd/system ]; then
    systemctl disable --now penjaga-agent.service penjaga-collector.service 2>/dev/null || true
  fi
  for f in $PROGRAMS; do rm -f "$f"; done
  rm -rf /usr/share/penjaga/native
  rmdir /usr/share/penjaga 2>/dev/null || true
  rm -rf /usr/share/doc/penjaga
  [ -d /run/systemd/system ] && systemctl daemon-reload || true
  echo "penjaga: removed; kept /etc/penjaga, /var/lib/penjaga, /var/backups/penjaga and the users"
  exit 0
fi

command -v java >/dev/null || echo "penjaga: java not found; install Java 17 before starting the daemons" >&2
F=$HERE/files
install -D -m 0644 "$F/usr/share/penjaga/penjaga-agent.jar" /usr/share/penjaga/penjaga-agent.jar
install -D -m 0644 "$F/usr/share/penjaga/penjaga-collector.jar" /usr/share/penjaga/penjaga-collector.jar
install -D -m 0755 "$F/usr/share/penjaga/penjaga-setup" /usr/share/penjaga/penjaga-setup
install -D -m 0755 "$F/usr/share/penjaga/penjaga-cds" /usr/share/penjaga/penjaga-cds
install -D -m 0755 "$F/usr/bin/penjaga-agent" /usr/bin/penjaga-agent
install -D -m 0755 "$F/usr/bin/penjaga-collector" /usr/bin/penjaga-collector
install -D -m 0644 "$F/lib/systemd/system/penjaga-agent.service" "$UNITS/penjaga-agent.service"
install -D -m 0644 "$F/lib/systemd/system/penjaga-collector.service" "$UNITS/penjaga-collector.service"
mkdir -p /usr/share/doc/penjaga && cp -R "$F/usr/share/doc/penjaga/." /usr/share/doc/penjaga/
for c in agent.yaml collector.yaml alerts.yaml; do
  if [ -e "/etc/penjaga/$c" ]; then
    install -D -m 0640 "$F/etc/penjaga/$c" "/etc/penjaga/$c.new"   # yours is kept; compare with the new sample
  else
    install -D -m 0640 "$F/etc/penjaga/$c" "/etc/penjaga/$c"
  fi
done
/usr/share/penjaga/penjaga-setup
if [ -d /run/systemd/system ]; then
  systemctl try-restart penjaga-collector.service penjaga-agent.service || true
fi
echo "penjaga: installed; check the configuration (penjaga-agent config check, penjaga-collector config check),"
echo "  then: systemctl enable --now penjaga-collector penjaga-agent"
