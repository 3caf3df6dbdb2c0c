#!/bin/sh
# Copies the NHS.UK design system's files the web app serves at /assets/ from an installed
# nhsuk-frontend (node_modules) into DEST: its compiled CSS without the @font-face rules
# (they fetch the NHS typeface from assets.nhs.uk; no web font: the system stack stands in),
# its JavaScript, images and manifest. Used by `make assets` and deploy/Dockerfile.
#   deploy/nhsuk-assets.sh node_modules/nhsuk-frontend/dist/nhsuk DEST
set -eu
src=$1
dest=$2
mkdir -p "$dest/images"
sed -E 's/@font-face\{[^}]*\}//g; s|/\*# sourceMappingURL=[^*]*\*/||' \
    "$src/nhsuk-frontend.min.css" > "$dest/nhsuk-frontend.min.css"
if grep -q 'assets.nhs.uk' "$dest/nhsuk-frontend.min.css"; then
    echo "error: $dest/nhsuk-frontend.min.css still fetches from assets.nhs.uk" >&2
    rm -f "$dest/nhsuk-frontend.min.css"
    exit 1
fi
sed 's|//# sourceMappingURL=[^ ]*$||' "$src/nhsuk-frontend.min.js" > "$dest/nhsuk-frontend.min.js"
cp "$src/assets/manifest.json" "$dest/manifest.json"
cp "$src/assets/images/"* "$dest/images/"
