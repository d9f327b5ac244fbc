#!/bin/sh
# install-kuma.sh: install a real Uptime Kuma, with npm, for the end-to-end
# test in e2e/kuma_test.go (and socket.io-client, which e2e/kuma/kuma.js uses
# to drive Kuma's socket.io API).
#
# Usage: scripts/install-kuma.sh [DIR]
# DIR defaults to $NTPHEALTH_KUMA_DIR, else /var/cache/ntphealth-test/uptime-kuma.
# Kuma then lives in DIR/node_modules/uptime-kuma and runs with that as its
# working directory (it opens ./db/... relative to it).
#
# Idempotent: a complete install (the marker file DIR/.complete, written last)
# is left alone, so a cache kept between CI runs makes this a no-op. From
# nothing it takes minutes: npm fetches about 700 packages and builds
# Kuma's SQLite module from source (no prebuilt binary is reachable here),
# against Node's headers in /usr/include/node.
#
# Needs: node (>= 18) and npm, make, g++, python3 (node-gyp).
set -eu

# The one version the npm registry serves (2.0.0-dev.0), and the socket.io
# client its server speaks and itself depends on (socket.io ~4.6).
KUMA_VERSION=2.0.0-dev.0
SOCKETIO_CLIENT_VERSION=~4.6.1

dir=${1:-${NTPHEALTH_KUMA_DIR:-/var/cache/ntphealth-test/uptime-kuma}}
kuma=$dir/node_modules/uptime-kuma
marker=$dir/.complete
want="uptime-kuma@$KUMA_VERSION socket.io-client@$SOCKETIO_CLIENT_VERSION"

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] && [ -f "$kuma/server/server.js" ]; then
	echo "uptime-kuma already installed in $dir"
	exit 0
fi

for tool in node npm; do
	command -v "$tool" >/dev/null || { echo "install-kuma: $tool not found: install Node.js 18 or newer with npm" >&2; exit 1; }
done

mkdir -p "$dir"
rm -f "$marker"
cd "$dir"
# allowScripts: newer npm (11) runs a dependency's install script only when
# the project allows it; older npm ignores the field and runs them all.
[ -f package.json ] || cat >package.json <<'JSON'
{
  "private": true,
  "description": "Uptime Kuma for ntphealth tests (scripts/install-kuma.sh)",
  "allowScripts": { "@louislam/sqlite3": true, "protobufjs": true }
}
JSON

# Build native modules against the installed headers rather than download
# them (node-gyp's default).
export npm_config_nodedir=${npm_config_nodedir:-/usr}
if [ ! -f "$npm_config_nodedir/include/node/node.h" ]; then
	echo "install-kuma: no Node headers in $npm_config_nodedir/include/node: install libnode-dev (or set npm_config_nodedir)" >&2
	exit 1
fi
npm install --no-audit --no-fund --loglevel=error \
	"uptime-kuma@$KUMA_VERSION" "socket.io-client@$SOCKETIO_CLIENT_VERSION"

# The SQLite module must load; if npm skipped its install script, build it.
if ! node -e 'require("@louislam/sqlite3")' 2>/dev/null; then
	echo "install-kuma: building @louislam/sqlite3 from source"
	(cd node_modules/@louislam/sqlite3 && "$dir/node_modules/.bin/node-pre-gyp" install --fallback-to-build --build-from-source --nodedir="$npm_config_nodedir")
	node -e 'require("@louislam/sqlite3")'
fi

# The package ships some migration files in db/ while the server reads every
# one of them from db/old_migrations/ (server/database.js); copy them over.
for f in "$kuma"/db/patch-*.sql; do
	[ -e "$f" ] || continue
	[ -e "$kuma/db/old_migrations/${f##*/}" ] || cp "$f" "$kuma/db/old_migrations/"
done

# The web page is served from dist/; without it Kuma answers every page
# request with an error, which the tests rely on for the trailing-slash case.
test -f "$kuma/dist/index.html"
test -f "$kuma/server/server.js"
node -e 'require("socket.io-client")'

echo "$want" >"$marker"
echo "uptime-kuma $KUMA_VERSION installed in $dir"
