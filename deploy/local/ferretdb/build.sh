#!/bin/sh
# Builds the FerretDB wrapper into $1 against a copy of FerretDB's module source with the
# patches in patches/ applied (a Go `replace`; the module cache stays untouched). A patch
# that no longer applies stops the build (decision 0029).
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
cd "$here"
go mod download github.com/FerretDB/FerretDB
module=$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -R "$module" "$work/FerretDB"
chmod -R u+w "$work/FerretDB"
for patch in patches/*.patch; do
	patch --quiet --forward --fuzz=0 -d "$work/FerretDB" -p1 <"$patch"
done
mkdir "$work/wrapper"
cp main.go go.mod go.sum "$work/wrapper/"
cd "$work/wrapper"
go mod edit -replace github.com/FerretDB/FerretDB=../FerretDB
go build -trimpath -o "$out" .
