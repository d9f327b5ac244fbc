#!/bin/sh
# vulncheck.sh: govulncheck over every package, offline but for the Go module
# proxy. govulncheck normally fetches its database from vuln.go.dev, which CI
# cannot reach; the same data ships as OSV JSON in the golang.org/x/vulndb
# module (data/osv/GO-*.json), which the proxy serves. That module's own
# cmd/indexdb turns the OSV files into the layout `govulncheck -db file://`
# reads (index/db.json, index/modules.json, index/vulns.json, ID/<id>.json).
#
# Exit status: 0 when no vulnerability is reachable from our code; 3 (from
# govulncheck) when one is, with the call traces; anything else is an error.
# Timing here: about 2 minutes from nothing (indexdb and its dependencies are
# downloaded and built once), about 25 s with the cache warm.
# Pin newer versions here to get newer vulnerability data.
set -eu
cd "$(dirname "$0")/.."

# Releases are built with this toolchain (Makefile): Go 1.26.8, the machine's
# own, lacks standard-library fixes (net/http, crypto/tls, crypto/x509,
# html/template) that govulncheck reports as reachable. The go command
# fetches it from the module proxy once (about 76 MB).
export GOTOOLCHAIN=${GOTOOLCHAIN_RELEASE:-go1.27.3}

VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
CACHE=${VULNDB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/ntphealth/vulndb-$VULNDB_VERSION}

if [ ! -f "$CACHE/index/db.json" ]; then
	# The module zip is about 20 MB; its osv directory holds one JSON file
	# per Go vulnerability report.
	src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	if [ ! -d "$src/data/osv" ]; then
		echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv directory (looked in '$src')" >&2
		exit 1
	fi
	echo "vulncheck: indexing $(ls "$src/data/osv" | wc -l) OSV reports from golang.org/x/vulndb@$VULNDB_VERSION into $CACHE" >&2
	mkdir -p "$(dirname "$CACHE")"
	tmp=$(mktemp -d "$CACHE.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp/db"
	rm -rf "$CACHE"
	mv "$tmp/db" "$CACHE"
fi

# Installed rather than `go run`, which would turn govulncheck's exit 3
# (findings) into 1.
bindir="$CACHE/../bin-govulncheck-$GOVULNCHECK_VERSION"
GOBIN=$(cd "$(dirname "$bindir")" && pwd)/$(basename "$bindir") go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION"
exec "$bindir/govulncheck" -db "file://$CACHE" ./...
