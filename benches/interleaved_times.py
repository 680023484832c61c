# Times the commands of benches/compare.sh in interleaved rounds (called by it).
# Interleaved rounds: every command once per round, so a burst of load from other tenants of
# a shared machine hits every command alike, not whichever command was running then.
import json, os, subprocess, sys, time

tmp, runs, tshark_runs, skip_tshark, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
cmds, names = sys.argv[6:6 + n], sys.argv[6 + n:6 + 2 * n]


def run(cmd):
    t = time.perf_counter()
    # callpath exits 1 when it reports error findings: that is not a failure here.
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


wanted = {i: (tshark_runs if names[i].startswith("tshark") else runs) for i in range(n)}
if skip_tshark:
    wanted = {i: r for i, r in wanted.items() if not names[i].startswith("tshark")}
times = {i: [] for i in wanted}
for i in wanted:
    run(cmds[i])  # warm-up: page cache, binaries
for r in range(max(wanted.values())):
    for i in wanted:
        if len(times[i]) < wanted[i]:
            times[i].append(run(cmds[i]))
            print(f"round {r + 1}: {names[i]}: {times[i][-1]:.3f} s", file=sys.stderr)
for i, t in times.items():
    with open(os.path.join(tmp, f"{i}.json"), "w") as f:
        json.dump({"results": [{"times": t}]}, f)
