#!/usr/bin/env bash
# Whole-tool comparison: callpath vs ndpiReader, tcpdump and tshark on the same capture.
#
#   benches/compare.sh [CAPTURE]          # default: generate /work/bench-data/calls-450M.pcapng
#
# Environment: RUNS (default 5) timed runs per command, in interleaved rounds after one warm-up
# run of each so the page cache is warm (benches/interleaved_times.py), TSHARK_RUNS (default 1:
# tshark takes ~1 min on 450 MB), SIZE (default 450M), FORMAT (pcapng|pcap), DATA (default /work/bench-data), CALLPATH (default: release build of
# this checkout), SKIP_TSHARK=1. Prints a markdown table: median seconds, ratio to tcpdump (of
# the medians, and the median of each round's own ratio) and to ndpiReader, peak RSS (/usr/bin/time -v "Maximum resident set size").
# BEFORE=/path/to/an/older/callpath also times that build in the same rounds (one and all cores),
# to tell whether a change made the whole tool slower or bigger.
#
# Needs: /usr/bin/time, ndpiReader (libndpi-bin), tcpdump, tshark, capinfos, python3
# (apt-get install -y time libndpi-bin tcpdump tshark).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
TSHARK_RUNS=${TSHARK_RUNS:-1}
SIZE=${SIZE:-450M}
FORMAT=${FORMAT:-pcapng}
DATA=${DATA:-/work/bench-data}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}

(cd "$here" && cargo build --release --quiet --bin callpath --example gen_capture)
CALLPATH=${CALLPATH:-$CARGO_TARGET_DIR/release/callpath}

if [[ $# -ge 1 ]]; then
    cap=$1
else
    mkdir -p "$DATA"
    cap=$DATA/calls-$SIZE.$FORMAT
    if [[ ! -s $cap ]]; then
        "$CARGO_TARGET_DIR/release/examples/gen_capture" --seed 1 --size "$SIZE" \
            --format "$FORMAT" --out "$cap"
    fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

names=("callpath --threads 1" "callpath (all cores)" "ndpiReader" "tcpdump -w /dev/null" "tshark conv,udp")
cmds=(
    "$CALLPATH audit --format json -q --threads 1 $cap"
    "$CALLPATH audit --format json -q $cap"
    "ndpiReader -i $cap -q"
    "tcpdump -r $cap -w /dev/null"
    "tshark -r $cap -q -z conv,udp"
)
if [[ -n ${BEFORE:-} ]]; then
    names+=("before --threads 1" "before (all cores)")
    cmds+=("$BEFORE audit --format json -q --threads 1 $cap" "$BEFORE audit --format json -q $cap")
fi

echo "capture: $cap ($(du -h "$cap" | cut -f1), $(capinfos -c -M "$cap" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}') packets)" >&2

python3 "$here/benches/interleaved_times.py" "$tmp" "$RUNS" "$TSHARK_RUNS" "${SKIP_TSHARK:-0}" \
    "${#cmds[@]}" "${cmds[@]}" "${names[@]}"
for i in "${!cmds[@]}"; do
    [[ ${names[$i]} == tshark* && ${SKIP_TSHARK:-0} == 1 ]] && continue
    /usr/bin/time -v ${cmds[$i]} > /dev/null 2> "$tmp/$i.time" || true
done

python3 - "$tmp" "${names[@]}" <<'EOF'
import json, os, re, statistics, sys
tmp, names = sys.argv[1], sys.argv[2:]
rows = {}
for i, name in enumerate(names):
    p = os.path.join(tmp, f"{i}.json")
    if not os.path.exists(p):
        continue
    times = json.load(open(p))["results"][0]["times"]
    rss = None
    for line in open(os.path.join(tmp, f"{i}.time")):
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
        if m:
            rss = int(m.group(1)) / 1024
    rows[name] = (statistics.median(times), min(times), max(times), len(times), rss, times)
tcpdump = rows.get("tcpdump -w /dev/null", (None,))[0]
ndpi = rows.get("ndpiReader", (None,))[0]
tcpdump_times = rows.get("tcpdump -w /dev/null", (None,) * 6)[5]
print("| command | median s | min s | max s | runs | ÷ tcpdump | ÷ tcpdump, per round | ÷ ndpiReader | peak RSS MB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, (med, lo, hi, n, rss, times) in rows.items():
    rt = f"{med / tcpdump:.2f}" if tcpdump else "-"
    # The ratio within each round (the commands of a round ran within seconds of each other,
    # under the same load), then its median: the host's drift between rounds cancels out.
    per_round = [t / d for t, d in zip(times, tcpdump_times or [])]
    rr = f"{statistics.median(per_round):.2f}" if per_round and len(per_round) == n else "-"
    rn = f"{med / ndpi:.2f}" if ndpi else "-"
    print(f"| {name} | {med:.3f} | {lo:.3f} | {hi:.3f} | {n} | {rt} | {rr} | {rn} | {rss:.1f} |")
EOF
