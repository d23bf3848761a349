#!/usr/bin/env bash
# Builds FerretDB 1.24.2 with scripts/ferretdb/sqlite-pushdown.patch into .data/bin (once) and
# prints the binary's path. Used by scripts/services.sh, the private FerretDBs of the fault tests
# and the benchmarks.
#
# Why the patch: 1.24.2's SQLite backend never uses an index. Its `_id` lookups are written
# `->'$._id'` while its indexes are built on `->"_id"`, and no other filter is pushed down, so every
# find, update and delete scans the whole collection and a store lookup costs in proportion to the
# collection (measured: a 100-key `$in` takes 54 ms at 1 000 documents, 2 089 ms at 50 000). The
# patch writes `_id` as the index does and pushes top-level string equality and `$in` down in the
# index's own form (13 ms at 50 000). The handler still filters every row it gets, so results are
# those of the unpatched server; what a user runs, MongoDB, uses its indexes anyway.
set -euo pipefail
export PATH="$PATH:/usr/local/go/bin"
root=$(cd "$(dirname "$0")/.." && pwd)
version=v1.24.2
bin="$root/.data/bin/ferretdb-$version-pushdown"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "build-ferretdb: Go is required to build FerretDB" >&2; exit 1; }
  echo "build-ferretdb: building FerretDB $version with the pushdown patch (once; about a minute)" >&2
  mkdir -p "$root/.data/bin"
  dir=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  src=$(mktemp -d)
  trap 'rm -rf "$src"' EXIT
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  # `go install …@v1.24.2` builds a binary that panics at start: the module lacks the generated
  # build/version/version.txt.
  echo "$version" >"$src/build/version/version.txt"
  patch -s -d "$src/internal/backends/sqlite" -p1 <"$root/scripts/ferretdb/sqlite-pushdown.patch"
  # -buildvcs=false: the copy is not FerretDB's git checkout.
  (cd "$src" && go build -buildvcs=false -o "$bin.tmp" ./cmd/ferretdb) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
