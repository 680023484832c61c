#!/usr/bin/env bash
# Sustained live capture rate (issue 20): tcpreplay sends a capture at a fixed packet rate into
# one end of a veth pair inside a network namespace; `callpath watch` captures on the other
# end. Prints what was sent, what watch counted, and the kernel drops it reported.
#
#   benches/live_rate.sh [PPS] [PACKETS]     # default 100000 packets/s, 400000 packets
#
# Needs root, iproute2, tcpreplay and tcpdump (apt-get install -y tcpreplay tcpdump), and the
# benchmark capture (benches/compare.sh makes it). The release build of this checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PPS=${1:-100000}
COUNT=${2:-400000}
DATA=${DATA:-/work/bench-data}
src=$DATA/calls-450M.pcapng
(cd "$here" && cargo build --release --quiet --bin callpath)
bin=$here/target/release/callpath
tmp=$(mktemp -d)
ns=cprate$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# tcpreplay reads pcap; the first COUNT packets of the benchmark capture.
tcpdump -r "$src" -c "$COUNT" -w "$tmp/replay.pcap" 2>/dev/null
ip netns add "$ns"
ip netns exec "$ns" ip link add rpl0 type veth peer name cap0
ip netns exec "$ns" ip link set rpl0 up
ip netns exec "$ns" ip link set cap0 up
secs=$(( COUNT / PPS + 3 ))
ip netns exec "$ns" "$bin" watch -i cap0 --duration "$secs" --format json -o "$tmp/report.json" \
    --fail-on never 2>"$tmp/watch.err" &
watch=$!
sleep 1
ip netns exec "$ns" tcpreplay -q -i rpl0 --pps="$PPS" "$tmp/replay.pcap" >"$tmp/replay.out" 2>&1
wait "$watch"
sent=$(grep -o 'Actual: [0-9]* packets' "$tmp/replay.out" | grep -o '[0-9]*' || echo "?")
rate=$(grep -o 'Rated: [0-9.]* Bps, [0-9.]* Mbps, [0-9.]* pps' "$tmp/replay.out" || true)
counted=$(python3 -c "import json;print(json.load(open('$tmp/report.json'))['captures'][0]['packets'])")
drops=$(python3 -c "import json;w=json.load(open('$tmp/report.json'))['captures'][0]['warnings'];print(' | '.join(w) if w else 'none')")
echo "sent $sent packets ($rate); watch counted $counted; kernel drops: $drops"
