#!/usr/bin/env bash
# Byte-for-byte comparison of two callpath binaries' reports, for changes that must not change
# what a user sees (a refactoring, an optimisation).
#
#   scripts/compare-reports.sh OLD_BINARY NEW_BINARY [EXTRA_CAPTURE...]
#
# Runs both on: the bundled fixtures (with their site profile and a label), every capture under
# ../shared/captures/ (alone, with no site profile and with an RFC 1918 profile; and all of a
# folder's captures in one run, so cross-file merging is compared too), and any EXTRA_CAPTURE
# (the benchmark capture, say). Each in json, ndjson and text, with --threads 1 and 2, and the
# `interfaces` command in json. Compares stdout, stderr and the exit status. Prints the number
# of identical runs and every difference; exits 1 if any.
set -uo pipefail

old=$1 new=$2
shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
shared=$here/../shared/captures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/rfc1918.toml" <<'EOF'
[site]
name = "rfc1918"
internal = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"]
expressroute = true

[[path]]
name = "internet"
interfaces = ["eth0", "en0"]
EOF

same=0 differ=0
run_pair() {
    # $@: callpath arguments (relative paths resolve from the repository root).
    local i
    for i in old new; do
        local bin=$old
        [[ $i == new ]] && bin=$new
        (cd "$here" && "$bin" "$@" > "$tmp/$i.out" 2> "$tmp/$i.err"; echo $? > "$tmp/$i.rc")
    done
    if cmp -s "$tmp/old.out" "$tmp/new.out" && cmp -s "$tmp/old.err" "$tmp/new.err" \
        && cmp -s "$tmp/old.rc" "$tmp/new.rc"; then
        same=$((same + 1))
    else
        differ=$((differ + 1))
        echo "DIFFERS: callpath $*"
        diff <(head -c 200000 "$tmp/old.out") <(head -c 200000 "$tmp/new.out") | head -20
        diff "$tmp/old.err" "$tmp/new.err" | head -5
        diff "$tmp/old.rc" "$tmp/new.rc"
    fi
}

audit_all_ways() {
    # $@: everything after `audit --format F --threads N`.
    local format threads
    for format in json ndjson text; do
        for threads in 1 2; do
            run_pair audit -q --format "$format" --threads "$threads" "$@"
        done
    done
}

audit_all_ways --site fixtures/contoso-hq.toml fixtures/contoso-hq.pcapng
audit_all_ways --site fixtures/contoso-hq.toml trunk=fixtures/contoso-hq-trunk.pcap
audit_all_ways --site fixtures/contoso-hq.toml fixtures/contoso-hq.pcapng trunk=fixtures/contoso-hq-trunk.pcap
run_pair interfaces --format json --site fixtures/contoso-hq.toml fixtures/contoso-hq.pcapng

for dir in "$shared"/*/; do
    [[ -d $dir ]] || continue
    caps=()
    for cap in "$dir"*; do
        case $cap in *.md | *.out | */COPYING | */cfg_monitoring) continue ;; esac
        [[ -f $cap ]] || continue
        caps+=("$cap")
        audit_all_ways "$cap"
        audit_all_ways --site "$tmp/rfc1918.toml" "$cap"
    done
    audit_all_ways --site "$tmp/rfc1918.toml" "${caps[@]}"
done

for cap in "$@"; do
    audit_all_ways "$cap"
done

echo "compare-reports: $same identical, $differ different"
[[ $differ -eq 0 ]]
