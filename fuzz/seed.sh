#!/bin/sh
# Fills fuzz/corpus/<target>/ with small seeds: builder-made captures and frames, and for the
# parser targets (stun, rtp, rtcp_reports, dtls, tls, sip, app_state, site_profile, ranges,
# expectations) builder payloads,
# unit-test byte literals, the contoso-hq profile and the first bundled endpoint sets (all
# written by the ignored test `write_fuzz_seeds` in tests/malformed.rs); for the compressed
# target, those builder captures gzip- and zstd-compressed (the ignored test
# `write_compressed_fuzz_seeds` in tests/compressed.rs); plus the nDPI sample captures under
# 64 KiB (captures only under 16 KiB for the slower pipeline target). Idempotent.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ndpi=${NDPI_DIR:-$root/../shared/captures/ndpi}
corpus=$here/corpus
mkdir -p "$corpus/capture" "$corpus/decode" "$corpus/pipeline"

(cd "$root" && CALLPATH_FUZZ_SEEDS=$corpus cargo test --quiet --test malformed -- \
    --ignored --exact write_fuzz_seeds >/dev/null)
# After the pipeline seeds, which it compresses.
(cd "$root" && CALLPATH_FUZZ_SEEDS=$corpus cargo test --quiet --test compressed -- \
    --ignored --exact write_compressed_fuzz_seeds >/dev/null)

if [ -d "$ndpi" ]; then
    find "$ndpi" -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k |
    while read -r f; do
        name=ndpi-$(basename "$f")
        # capture: one leading byte chooses the read size (see fuzz_targets/capture.rs).
        { printf '\007'; cat "$f"; } > "$corpus/capture/$name"
        if [ "$(wc -c < "$f")" -lt 16384 ]; then
            cp "$f" "$corpus/pipeline/$name"
        fi
    done
fi
du -sh "$corpus"
