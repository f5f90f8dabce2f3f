#!/usr/bin/env bash
# Builds the server packages from the jars (mvn package first):
#   packaging/target/penjaga_VERSION_all.deb      for Debian and Ubuntu
#   packaging/target/penjaga-VERSION.tar.gz      for RPM-based servers: unpack, run ./install.sh as root
# Both install the same files: the jars and commands, the systemd units, sample configurations
# (kept when present), and run penjaga-setup (users, directories, secrets).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VERSION=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
DEBVERSION=${VERSION/-SNAPSHOT/~snapshot}
for jar in agent/target/penjaga-agent.jar collector/target/penjaga-collector.jar; do
  [ -f "$jar" ] || { echo "missing $jar: run mvn -DskipTests package first" >&2; exit 2; }
done
OUT=$ROOT/packaging/target
STAGE=$OUT/stage
rm -rf "$OUT" && mkdir -p "$STAGE"

# The file tree, as installed.
install -D -m 0644 agent/target/penjaga-agent.jar "$STAGE/usr/share/penjaga/penjaga-agent.jar"
install -D -m 0644 collector/target/penjaga-collector.jar "$STAGE/usr/share/penjaga/penjaga-collector.jar"
install -D -m 0755 packaging/penjaga-setup "$STAGE/usr/share/penjaga/penjaga-setup"
install -D -m 0755 packaging/penjaga-cds "$STAGE/usr/share/penjaga/penjaga-cds"
install -D -m 0755 packaging/penjaga-agent "$STAGE/usr/bin/penjaga-agent"
install -D -m 0755 packaging/penjaga-collector "$STAGE/usr/bin/penjaga-collector"
install -D -m 0644 systemd/penjaga-agent.service "$STAGE/lib/systemd/system/penjaga-agent.service"
install -D -m 0644 systemd/penjaga-collector.service "$STAGE/lib/systemd/system/penjaga-collector.service"
for f in agent.yaml collector.yaml alerts.yaml; do
  install -D -m 0640 "config/$f" "$STAGE/etc/penjaga/$f"
done
install -D -m 0644 README.md "$STAGE/usr/share/doc/penjaga/README.md"
install -D -m 0644 agent/REPOSITORY.md "$STAGE/usr/share/doc/penjaga/REPOSITORY.md"
for f in prometheus.yml penjaga-rules.yml grafana-dashboard.json; do
  install -D -m 0644 "config/$f" "$STAGE/usr/share/doc/penjaga/examples/$f"
done

# The .deb.
DEB=$OUT/deb
cp -a "$STAGE" "$DEB"
mkdir -p "$DEB/DEBIAN"
sed -e "s/@VERSION@/$DEBVERSION/" -e "s/@SIZE@/$(du -sk "$STAGE" | cut -f1)/" packaging/debian/control > "$DEB/DEBIAN/control"
install -m 0644 packaging/debian/conffiles "$DEB/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "packaging/debian/$s" "$DEB/DEBIAN/$s"; done
fakeroot dpkg-deb --build -Zgzip "$DEB" "$OUT/penjaga_${DEBVERSION}_all.deb" >/dev/null

# The tarball.
TGZ=$OUT/penjaga-$VERSION
mkdir -p "$TGZ"
cp -a "$STAGE/." "$TGZ/files"
install -m 0755 packaging/install.sh "$TGZ/install.sh"
tar -C "$OUT" --owner=root --group=root -czf "$OUT/penjaga-$VERSION.tar.gz" "penjaga-$VERSION"
rm -rf "$DEB" "$TGZ"
ls "$OUT"/*.deb "$OUT"/*.tar.gz
