#!/usr/bin/env bash
# Places the model files listed in models/manifest.tsv into models/: copied from the shared
# folder (../shared/models beside the repo, or $ENGINE_SHARED_MODELS) when present, else
# downloaded from the public URL. Every file's sha256 is verified either way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${ENGINE_SHARED_MODELS:-$here/../../shared/models}
status=0
while IFS=$'\t' read -r name sha url; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  dest=$here/$name
  if [[ -f "$dest" ]] && echo "$sha  $dest" | sha256sum --quiet -c - 2>/dev/null; then
    continue
  fi
  mkdir -p "$(dirname "$dest")"
  if [[ -f "$shared/$name" ]]; then
    cp "$shared/$name" "$dest.part"
  elif [[ -f "$shared/../$name" ]]; then  # shared/chat-templates beside shared/models
    cp "$shared/../$name" "$dest.part"
  elif [[ "$url" != "-" ]]; then
    echo "place.sh: downloading $name" >&2
    curl -fsSL --retry 3 -o "$dest.part" "$url" || { echo "place.sh: cannot download $url" >&2; rm -f "$dest.part"; status=1; continue; }
  else
    echo "place.sh: $name has no public source and $shared/$name is absent; skipped" >&2
    continue
  fi
  if ! echo "$sha  $dest.part" | sha256sum --quiet -c - 2>/dev/null; then
    echo "place.sh: sha256 mismatch for $name" >&2
    rm -f "$dest.part"; status=1; continue
  fi
  chmod 644 "$dest.part"
  mv "$dest.part" "$dest"
done < "$here/manifest.tsv"
exit $status
