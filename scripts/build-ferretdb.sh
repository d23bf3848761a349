#!/usr/bin/env bash
# Builds FerretDB 1.24.2 with scripts/ferretdb/sqlite-pushdown.patch and
# scripts/ferretdb/fsql-write-queue.patch into .data/bin (once) and prints the binary's path. Used by scripts/services.sh, the private FerretDBs of the fault tests
# and the benchmarks.
#
# Why the patch: 1.24.2's SQLite backend never uses an index. Its `_id` lookups are written
# `->'$._id'` while its indexes are built on `->"_id"`, and no other filter is pushed down, so every
# find, update and delete scans the whole collection and a store lookup costs in proportion to the
# collection (measured: a 100-key `$in` takes 54 ms at 1 000 documents, 2 089 ms at 50 000). The
# patch writes `_id` as the index does and pushes top-level string equality and `$in` down in the
# index's own form (13 ms at 50 000). The handler still filters every row it gets, so results are
# those of the unpatched server; what a user runs, MongoDB, uses its indexes anyway.
#
# Why the write queue: SQLite has one writer per database file, and a FerretDB writer that finds
# it taken sleeps in SQLite's busy handler (1, 2, 5 … up to 100 ms a turn) and may lose it again to
# a writer that arrived later. Under a steady stream of large writes (a backfill) a small write
# (the outbox relay's, live sync's) waited seconds. The patch queues a transaction's writes on a
# Go mutex per database, taken at its first write statement and held to its end (SQLite holds its
# write lock that long anyway), so writers go in arrival order. Measured with a probe doing one
# small insert and update every 50 ms beside three writers of 500-document batches: probe p99
# 1 127–1 527 ms before, 123–299 ms after, the batch writers as fast or faster. Reads are not
# queued (WAL readers never wait for the writer); what each write does is unchanged.
set -euo pipefail
export PATH="$PATH:/usr/local/go/bin"
root=$(cd "$(dirname "$0")/.." && pwd)
version=v1.24.2
bin="$root/.data/bin/ferretdb-$version-pushdown-queue"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "build-ferretdb: Go is required to build FerretDB" >&2; exit 1; }
  echo "build-ferretdb: building FerretDB $version with the pushdown and write-queue patches (once; about a minute)" >&2
  mkdir -p "$root/.data/bin"
  dir=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  src=$(mktemp -d)
  trap 'rm -rf "$src"' EXIT
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  # `go install …@v1.24.2` builds a binary that panics at start: the module lacks the generated
  # build/version/version.txt.
  echo "$version" >"$src/build/version/version.txt"
  patch -s -d "$src/internal/backends/sqlite" -p1 <"$root/scripts/ferretdb/sqlite-pushdown.patch"
  patch -s -d "$src/internal/util/fsql" -p1 <"$root/scripts/ferretdb/fsql-write-queue.patch"
  # -buildvcs=false: the copy is not FerretDB's git checkout.
  (cd "$src" && go build -buildvcs=false -o "$bin.tmp" ./cmd/ferretdb) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
