#!/usr/bin/env bash
# bench/modes.sh: PV vs hybrid vs full virtualization (issue 4) vs binary
# translation (issue 15). Runs bench/guests/modes.c, one boot per
# workload, mode and N, in each of `pvisor run --mode=pv|hybrid|full` and,
# as modes `qemu` and `qemu-kvm`, the same image on QEMU's PC through
# tools/qemu-run (TCG, or QEMU on KVM): once with N operations and once
# with N = 0 (the same boot and setup), pvisor's under --stats (QEMU
# counts no exits for us: n/a), and derives
#
#   µs/op     the guest's own clock around the N operations / ops (timer:
#             minus the time asked to sleep)
#   exits/op  (exits(N) - exits(0)) / ops, exits = pvisor's "exits" line
#             plus its ioeventfd doorbell kicks (the definition of
#             exits/op in the rest of docs/benchmarks.md)
#
# plus, from the `null` workload's µs per exit in the same run, how much of
# each op in hybrid and full mode is exits and how much is the rest (CPU
# emulation of CPL0 code, device work). Writes
#   $OUT/runs.tsv         one line per boot (raw figures, n/a reasons)
#   $MD                   the docs/benchmarks.md section ($B/bench/modes.md;
#                         bench/report.sh includes it and bench/modes_qemu.sh's
#                         modes-qemu*.md when they exist)
#   docs/bench-modes.svg  log-scale bar chart of µs/op ($SVG)
# and, run on its own (not from bench/run), replaces the section in
# docs/benchmarks.md.
#
#   bash bench/modes.sh          (B=build; root for net_tx, else n/a)
#
# Environment: MODES ("pv hybrid full"; add qemu and/or qemu-kvm),
# WORKLOADS (all), N_<mode>_<workload>
# (ops per run, e.g. N_full_console=4096; N_qemu_kvm_cpu), REPEATS_<mode> (pairs of boots
# per figure, the median kept: 5), TIMEOUT (seconds per boot, 180),
# OUT ($B/bench/modes), UPDATE_DOCS (1; bench/run sets 0), REPORT_ONLY (1:
# no boots, rewrite the report from the last run's $OUT/runs.tsv),
# SECTION (the docs/benchmarks.md heading the report replaces), HOST_KIND
# (the host's description, when detection cannot tell: a nested machine).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
MODES=${MODES:-pv hybrid full}
WORKLOADS=${WORKLOADS:-null cpu clock timer console blk_qd1 blk_qd32 blk_seq net_tx mmu ctxsw}
TIMEOUT=${TIMEOUT:-180}
OUT=${OUT:-$B/bench/modes}
UPDATE_DOCS=${UPDATE_DOCS:-1}
SVG=${SVG:-docs/bench-modes.svg}
MD=${MD:-$B/bench/modes.md}
IMG=$B/guest/bench/guests/modes.elf
TAP=pvtap0
source tests/net/netns.sh

for f in "$B/pvisor" "$IMG"; do
	[[ -f $f ]] || { echo "bench/modes.sh: $f is not built (make all)" >&2; exit 1; }
done
mkdir -p "$OUT" "$B/bench"
work=$(mktemp -d)
cleanup() {
	net_teardown
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$(date +%s)

# Operations per boot: PV runs CPL3 code natively, hybrid and full mode
# emulate every CPL0 instruction (~0.4 µs each on the nested PVM host this
# was tuned on), so their N are up to 400x smaller; each boot takes 0.2-3 s,
# except full mode's console (1 MiB through the UART, ~12 s).
declare -A N_DEFAULT=(
	[pv.null]=20000       [hybrid.null]=50000     [full.null]=50000
	[pv.cpu]=200000000    [hybrid.cpu]=500000     [full.cpu]=500000
	[pv.clock]=10000000   [hybrid.clock]=50000    [full.clock]=50000
	[pv.timer]=2000       [hybrid.timer]=2000     [full.timer]=2000
	[pv.console]=1048576  [hybrid.console]=1048576 [full.console]=1048576
	[pv.blk_qd1]=20000    [hybrid.blk_qd1]=2000   [full.blk_qd1]=2000
	[pv.blk_qd32]=50000   [hybrid.blk_qd32]=2000  [full.blk_qd32]=2000
	[pv.blk_seq]=2000     [hybrid.blk_seq]=300    [full.blk_seq]=300
	[pv.net_tx]=200000    [hybrid.net_tx]=5000    [full.net_tx]=5000
	[pv.mmu]=50           [hybrid.mmu]=3          [full.mmu]=3
	[pv.ctxsw]=200000     [hybrid.ctxsw]=4000     [full.ctxsw]=4000
	# QEMU's TCG translates guest code once and runs the translation;
	# its devices are emulated in-process, so an "exit" costs a function
	# call, not a world switch. QEMU on KVM exits as pvisor's full mode.
	[qemu.null]=50000     [qemu-kvm.null]=50000
	[qemu.cpu]=20000000   [qemu-kvm.cpu]=200000000
	[qemu.clock]=1000000  [qemu-kvm.clock]=1000000
	[qemu.timer]=2000     [qemu-kvm.timer]=2000
	[qemu.console]=1048576 [qemu-kvm.console]=1048576
	[qemu.blk_qd1]=5000   [qemu-kvm.blk_qd1]=2000
	[qemu.blk_qd32]=5000  [qemu-kvm.blk_qd32]=2000
	[qemu.blk_seq]=1000   [qemu-kvm.blk_seq]=300
	[qemu.net_tx]=20000   [qemu-kvm.net_tx]=5000
	[qemu.mmu]=10         [qemu-kvm.mmu]=10
	[qemu.ctxsw]=50000    [qemu-kvm.ctxsw]=20000
)

ops_for() {  # MODE WORKLOAD (qemu-kvm's variables say qemu_kvm)
	local var="N_${1//-/_}_$2"
	echo "${!var:-${N_DEFAULT[$1.$2]:-1000}}"
}

runs=$OUT/runs.tsv
if [[ ${REPORT_ONLY:-0} == 1 ]]; then
	[[ -f $runs ]] || { echo "bench/modes.sh: REPORT_ONLY: no $runs" >&2; exit 1; }
else

# ---- the disk and the network ---------------------------------------------------

disk=$work/modes.img
head -c 64M /dev/urandom >"$disk"
cat "$disk" >/dev/null          # warm the page cache

net_reason=""
if ! net_reason=$(net_available); then
	echo "bench/modes.sh: net_tx will be n/a: $net_reason" >&2
else
	net_reason=""
fi

# ---- one boot ----------------------------------------------------------------------

printf 'mode\tworkload\trep\tn\trc\tops\tns\texits\tdoorbells\twall_s\treason\n' >"$runs"

# boot MODE WORKLOAD REPEAT N: one pvisor run; appends a line to $runs.
boot() {
	local mode=$1 w=$2 rep=$3 n=$4 label=$OUT/$1_$2_$3_$4 rc=0 t0 t1 ns="" ops="" ex="" db="" why=""
	local -a args=(run --stats --timeout "$TIMEOUT" --cmdline "$w $n")
	local -a pre=() runner=("$B/pvisor")

	case $mode in
	pv) ;;
	qemu) runner=(tools/qemu-run); args+=(--accel tcg) ;;
	qemu-kvm) runner=(tools/qemu-run); args+=(--accel kvm) ;;
	*) args+=("--mode=$mode") ;;
	esac
	case $w in
	blk_*) args+=(--disk "$disk") ;;
	net_tx)
		if [[ -n $net_reason ]]; then
			printf '%s\t%s\t%s\t%s\t-\t\t\t\t\t\t%s\n' "$mode" "$w" "$rep" "$n" \
				"no network: $net_reason" >>"$runs"
			return
		fi
		# A persistent TAP, up before the guest starts: pvisor attaches to it.
		local ns
		net_setup ns
		ip -n "$ns" tuntap add dev "$TAP" mode tap vnet_hdr
		ip -n "$ns" link set "$TAP" up
		args+=(--net "tap=$TAP")
		pre=(ip netns exec "$ns")
		;;
	esac
	t0=$(date +%s.%N)
	"${pre[@]}" timeout -k 5 $((TIMEOUT + 15)) "${runner[@]}" "${args[@]}" "$IMG" \
		>"$label.out" 2>"$label.err" </dev/null || rc=$?
	t1=$(date +%s.%N)
	[[ $w == net_tx ]] && net_teardown
	# Keep only our lines of the guest's output (console writes megabytes).
	grep -a -E '^(RESULT|modes:)' "$label.out" >"$label.res" || true
	rm -f "$label.out"
	# "RESULT w ops=O ns=T [slept_ns=S]": S of T was asked-for sleep (timer).
	read -r ops ns < <(awk '$1 == "RESULT" { sub("ops=", "", $3); sub("ns=", "", $4);
		s = 0; if ($5 ~ /^slept_ns=/) { sub("slept_ns=", "", $5); s = $5 }
		print $3, $4 - s; exit }' "$label.res") || true
	ex=$(awk '$1 == "exits" { print $2; exit }' "$label.err")
	db=$(awk '/doorbell kicks through ioeventfd/ { print $NF; exit }' "$label.err")
	if [[ $rc -ne 0 || -z $ns ]]; then
		why=$(grep -m1 '^modes:' "$label.res" || true)
		case $rc in
		124|137) why="timed out after ${TIMEOUT} s${why:+ ($why)}" ;;
		126) why="guest crashed: $(grep -v '^ ' "$label.err" | grep -m1 -i -E 'crash|fault|exception|panic' || head -n 1 "$label.err")" ;;
		*) [[ -z $why ]] && why=$(grep -v -E '^(pvisor stats:|  )' "$label.err" | head -n 1) ;;
		esac
		why="exit status $rc: ${why:-no RESULT line}"
		ns=""
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$w" "$rep" "$n" "$rc" "$ops" "$ns" \
		"${ex:-}" "${db:-0}" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
		"$(printf '%s' "$why" | tr '\t\n' '  ')" >>"$runs"
}

# Workload by workload, the modes and repeats interleaved (pv, hybrid,
# full, pv, ...): host noise hits all alike.
maxreps=0
for mode in $MODES; do
	var=REPEATS_${mode//-/_}
	(( ${!var:-5} > maxreps )) && maxreps=${!var:-5}
done
for w in $WORKLOADS; do
	for ((r = 1; r <= maxreps; r++)); do
		for mode in $MODES; do
			var=REPEATS_${mode//-/_}
			(( r > ${!var:-5} )) && continue
			n=$(ops_for "$mode" "$w")
			echo "bench/modes.sh: $w, $mode mode, N = $n and N = 0 (run $r)..." >&2
			boot "$mode" "$w" "$r" "$n"
			boot "$mode" "$w" "$r" 0
			tail -n 2 "$runs" | awk -F'\t' '{ printf "bench/modes.sh:   N=%s rc=%s ops=%s ns=%s exits=%s+%s %ss %s\n",
				$4, $5, $6, $7, $8, $9, $10, $11 }' >&2
		done
	done
done
echo $(( $(date +%s) - started )) >"$OUT/elapsed"
fi
elapsed=$(cat "$OUT/elapsed" 2>/dev/null || echo 0)

# ---- the report ------------------------------------------------------------------------

if [[ -n ${HOST_KIND:-} ]]; then
	kind=$HOST_KIND
elif [[ -d /sys/module/kvm_pvm ]] || grep -qs '^kvm_pvm' /proc/modules; then
	kind="nested PVM KVM (kvm_pvm module; pagetable-based, no hardware virtualization)"
else
	kind="hardware-assisted KVM"
fi
# The machine of the boots: recorded with them, so that REPORT_ONLY on
# another machine still names the right one.
if [[ ${REPORT_ONLY:-0} != 1 ]]; then
	echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; kernel $(uname -r)" >"$OUT/cpu"
	echo "$kind" >"$OUT/kind"
fi
cpu=$(cat "$OUT/cpu" 2>/dev/null || echo unknown)
kind=$(cat "$OUT/kind" 2>/dev/null || echo "$kind")

SECTION=${SECTION:-## PV vs hybrid vs full virtualization (issue 4)}
python3 - "$runs" "$MD" "$SVG" "$kind" "$cpu" \
	"$elapsed" "$MODES" "$WORKLOADS" "$SECTION" <<'PY'
# Turns runs.tsv into the markdown section and the SVG chart (standard
# library only).
import csv, math, sys, datetime, textwrap

runs_path, md_path, svg_path, kind, cpu, elapsed, modes, workloads, section = sys.argv[1:10]
modes, workloads = modes.split(), workloads.split()
PVISOR_MODES = ["pv", "hybrid", "full"]
QEMU_MODES = [m for m in ("qemu", "qemu-kvm") if m in modes]
ALL_MODES = PVISOR_MODES + QEMU_MODES
NAME = {"pv": "PV", "hybrid": "hybrid", "full": "full", "qemu": "QEMU TCG", "qemu-kvm": "QEMU KVM"}
LABEL = {
    "null": "exit: `outb` to an unowned/null port",
    "cpu": "CPU: one 6-instruction loop iteration",
    "clock": "clock read (`pv_clock_ns`)",
    "timer": "timer tick: a 500 µs sleep, µs beyond the 500",
    "console": "console output, per byte (4 KiB writes)",
    "blk_qd1": "disk 4 KiB random read, QD1",
    "blk_qd32": "disk 4 KiB random read, QD32",
    "blk_seq": "disk sequential read, 128 KiB",
    "net_tx": "network: one 64-byte frame sent",
    "mmu": "map + unmap one page (10,000 per round)",
    "ctxsw": "thread context switch",
}

rows = {}       # (mode, workload, rep, zero run?) -> the run's fields
with open(runs_path) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        r["reason"] = r["reason"].strip()
        rows[(r["mode"], r["workload"], r["rep"], r["n"] == "0")] = r

def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None

def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2

def figure(mode, w):
    """Median over the repeats of (µs/op, exits/op), N, reason (None where
    not measured)."""
    reps = sorted({k[2] for k in rows if k[0] == mode and k[1] == w})
    figs = [figure_one(mode, w, rep) for rep in reps] or [(None, None, None, "not run")]
    us = [f[0] for f in figs if f[0] is not None]
    ex = [f[1] for f in figs if f[1] is not None]
    why = next((f[3] for f in figs if f[3]), "")
    return (median(us) if us else None, median(ex) if ex else None, figs[0][2], why)

def figure_one(mode, w, rep):
    big, zero = rows.get((mode, w, rep, False)), rows.get((mode, w, rep, True))
    if big is None:
        return None, None, None, "not run"
    ops, ns = num(big["ops"]), num(big["ns"])
    if big["rc"] != "0" or ns is None or not ops:
        return None, None, big["n"], big["reason"] or "failed"
    us = ns / ops / 1000.0
    if mode in QEMU_MODES:
        return us, None, big["n"], ""
    if zero is None or zero["rc"] != "0" or num(zero["exits"]) is None or num(big["exits"]) is None:
        why = zero["reason"] if zero is not None and zero["reason"] else "no exit count"
        return us, None, big["n"], "exits: " + why
    e = (num(big["exits"]) + num(big["doorbells"]) - num(zero["exits"]) - num(zero["doorbells"])) / ops
    return us, max(e, 0.0), big["n"], ""

def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if v == 0:
        s = "0"
    elif abs(v) >= 1000:
        s = "{:,.0f}".format(v)
    elif abs(v) >= 100:
        s = "%.0f" % v
    elif abs(v) >= 10:
        s = "%.1f" % v
    elif abs(v) >= 1:
        s = "%.2f" % v
    elif abs(v) >= 0.01:
        s = "%.3f" % v
    else:
        s = "%.2g" % v
    return s + unit

def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return fmt(a / b) + "×"

fig = {(m, w): figure(m, w) for m in ALL_MODES for w in workloads}
notes = []
def cell_us(m, w):
    us, e, n, why = fig[(m, w)]
    if us is None:
        if m in modes:
            notes.append("%s, %s mode: %s" % (w, m, why))
        return "n/a"
    return fmt(us)
def cell_ex(m, w):
    us, e, n, why = fig[(m, w)]
    if us is not None and e is None and m in modes:
        notes.append("%s, %s mode, exits not counted: %s" % (w, m, why))
    return fmt(e)

# The exit cost of each mode, from the null workload of this run.
exit_cost = {}
for m in ALL_MODES:
    us, e, n, why = fig.get((m, "null"), (None, None, None, ""))
    if us is not None and e:
        exit_cost[m] = us / e

out = []
p = out.append
p(section)
p("")
p("bench/modes.sh (run by bench/run, or alone) boots one guest binary,")
p("bench/guests/modes.c, which uses only the portable pv_* calls, with")
p("`pvisor run --mode=pv|hybrid|full` (docs/full-virt.md), once per workload")
p("and mode with N operations and once with N = 0 (same boot and setup).")
p("docs/pv-vs-full.md reads the figures against the classic comparison of")
p("full virtualization and paravirtualization.")
p("")
p("- Host kind: **%s**" % kind)
p("- CPU: %s" % cpu)
p("- Run on %s; %d boots in %d min %d s."
  % (datetime.date.today().isoformat(), len(rows), int(elapsed) // 60, int(elapsed) % 60))
p("- µs/op: the guest's own clock around the N operations, divided by N.")
p("- exits/op: (exits(N) − exits(0)) / N from `--stats`: exits to pvisor")
p("  plus ioeventfd doorbell kicks, as elsewhere on this page. Exits that KVM")
p("  finishes in the kernel without a doorbell (LAPIC and IOAPIC accesses,")
p("  `hlt`) are not counted.")
nreps = {m: len({k[2] for k in rows if k[0] == m}) for m in ALL_MODES}
counts = sorted({nreps[m] for m in ALL_MODES if nreps[m]})
p("- Each figure is the median of " +
  ("%d" % counts[0] if len(counts) == 1 else
   ", ".join("%d (%s)" % (nreps[m], m) for m in ALL_MODES if nreps[m])) +
  " such pairs of boots, the modes")
p("  interleaved. This 2-core host is shared: read differences under ~10–20 %")
p("  as noise.")
# How much the exits of a boot vary (pooled standard deviation of the N = 0
# boots of each workload): exits/op is known to about that / N.
sigma = {}
for m in ALL_MODES:
    ss, dof = 0.0, 0
    for w in workloads:
        v = [num(r["exits"]) + (num(r["doorbells"]) or 0) for k, r in rows.items()
             if k[0] == m and k[1] == w and k[3] and r["rc"] == "0" and num(r["exits"]) is not None]
        if len(v) > 1:
            mean = sum(v) / len(v)
            ss += sum((x - mean) ** 2 for x in v)
            dof += len(v) - 1
    if dof:
        sigma[m] = math.sqrt(ss / dof)
if sigma:
    p("- A boot's own exits vary by " +
      ", ".join("±%.0f (%s)" % (sigma[m], m) for m in ALL_MODES if m in sigma) +
      " (standard deviation of the")
    p("  N = 0 boots; hybrid and full mode calibrate the TSC by polling the PIT),")
    p("  so exits/op is known to about that / N.")
PVM = kind.startswith("nested PVM KVM")
if PVM:
    p("- N per boot is in the last column: hybrid and full mode run the guest")
    p("  kernel at CPL0, which this host emulates, so they get up to 400× fewer")
    p("  operations than PV.")
else:
    p("- N per boot is in the last column, chosen per mode so that each boot")
    p("  takes seconds.")
p("")
if QEMU_MODES:
    p("- QEMU columns: the same image booted by tools/qemu-run on QEMU's PC")
    p("  (`-machine pc`, PVH entry, the guest's native drivers: PIIX IDE,")
    p("  RTL8139, 16550, 8254), TCG or KVM; QEMU counts no exits for us.")
    p("")
# The columns of the modes this run has: µs/op, pvisor's exits/op, the
# ratios to PV of full mode and of QEMU, the N of each.
shown = [m for m in ALL_MODES if m in modes]
ratio_modes = [m for m in shown if m in ["full"] + QEMU_MODES] if "pv" in shown else []
head = (["%s µs/op" % NAME[m] for m in shown]
        + ["%s exits/op" % NAME[m] for m in shown if m in PVISOR_MODES]
        + ["%s/PV" % NAME[m] for m in ratio_modes]
        + ["N: " + " / ".join(shown)])
p("| workload (op) | " + " | ".join(head) + " |")
p("|---" * (len(head) + 1) + "|")
for w in workloads:
    cells = [cell_us(m, w) for m in shown] + [cell_ex(m, w) for m in shown if m in PVISOR_MODES]
    cells += [fmt_ratio(fig[(m, w)][0], fig[("pv", w)][0]) for m in ratio_modes]
    cells.append(" / ".join(fig[(m, w)][2] or "–" for m in shown))
    p("| %s | %s |" % (LABEL.get(w, w), " | ".join(cells)))
p("")
p("![µs per operation, log scale](%s)" % svg_path.rsplit("/", 1)[-1])
p("")
if notes:
    p("Not measured (n/a):")
    p("")
    for n in dict.fromkeys(notes):
        p("- " + n)
    p("")

if exit_cost:
    p("### Full mode's cost: exits vs CPU emulation")
    p("")
    p("One exit, measured by the `null` workload in this run (the trapping")
    p("instruction and its loop included): " + ", ".join(
        "%s %s µs" % (m, fmt(exit_cost[m])) for m in ALL_MODES if m in exit_cost) + ".")
    p("Each op's cost is split into exits/op × that exit cost and the rest,")
    p("which is CPU emulation of the guest's CPL0 code plus device work on the")
    p("host. Where the exits alone come to more than the measured cost (exits")
    p("cheaper than a userspace port exit, such as in-kernel doorbells, or noise),")
    p("the two cannot be told apart and the row says so.")
    p("")
    p("| workload | full µs/op | full: exits × exit cost | full: rest (emulation + devices) | full: exit share | hybrid µs/op | hybrid: exits × exit cost | hybrid: rest |")
    p("|---|---|---|---|---|---|---|---|")
    for w in workloads:
        cells = []
        for m in ("full", "hybrid"):
            us, e, n, why = fig[(m, w)]
            cost = exit_cost.get(m)
            if us is None or e is None or cost is None:
                cells += ["n/a", "n/a", "n/a"] + (["n/a"] if m == "full" else [])
                continue
            ex = e * cost
            rest = us - ex
            if rest < -0.1 * us:
                cells += [fmt(us), fmt(ex), "not separable"] + (["–"] if m == "full" else [])
            else:
                rest = max(rest, 0.0)
                cells += [fmt(us), fmt(ex), fmt(rest)]
                if m == "full":
                    cells.append("%.0f %%" % (100.0 * min(ex / us, 1.0)) if us > 0 else "n/a")
        p("| %s | %s |" % (w, " | ".join(cells)))
    p("")
cpu_us = {m: fig[(m, "cpu")][0] for m in ALL_MODES if ("cpu" in workloads and fig[(m, "cpu")][0])}
if cpu_us:
    text = ("CPU: the `cpu` loop is 6 instructions per iteration, so one instruction costs " +
            ", ".join("%s %s ns" % (m, fmt(cpu_us[m] * 1000 / 6)) for m in ALL_MODES if m in cpu_us) +
            " here.")
    if "full" in cpu_us and PVM:
        text += (" Hybrid and full mode run the guest kernel at CPL0, which this host"
                 " emulates instruction by instruction (../shared/DESIGN.md measured ~1.7 µs"
                 " per instruction on a host of the same kind); PV runs it at CPL3, natively.")
    p(textwrap.fill(text, 76))
    p("")
with open(md_path, "w") as f:
    f.write("\n".join(out) + "\n")

# ---- the SVG chart: log10 µs/op, three bars per workload ----
W, H = 980, 430
L, R, T, Bm = 70, 20, 50, 75
pw, ph = W - L - R, H - T - Bm
vals = [fig[(m, w)][0] for m in ALL_MODES for w in workloads if fig[(m, w)][0]]
lo = math.floor(math.log10(min(vals))) if vals else -3
if vals and math.log10(min(vals)) - lo < 0.2:
    lo -= 1             # keep the shortest bar visible
hi = math.ceil(math.log10(max(vals))) if vals else 3
if hi == lo:
    hi = lo + 1
def y(v):
    return T + ph - (math.log10(v) - lo) / (hi - lo) * ph
COL = {"pv": "#2b6cb0", "hybrid": "#d69e2e", "full": "#c53030", "qemu": "#38a169", "qemu-kvm": "#805ad5"}
s = []
a = s.append
a('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">' % (W, H, W, H))
a('<rect width="100%" height="100%" fill="white"/>')
a('<text x="%d" y="22" font-size="15" font-weight="bold">µs per operation by mode (log scale; lower is better)</text>' % L)
a('<text x="%d" y="40" fill="#555">%s</text>' % (L, kind.replace("&", "&amp;").replace("<", "&lt;")))
for d in range(lo, hi + 1):
    yy = y(10 ** d)
    a('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (L, yy, W - R, yy))
    lab = ("%g" % (10 ** d)) if -4 <= d <= 5 else "1e%d" % d
    a('<text x="%d" y="%.1f" text-anchor="end" fill="#333">%s</text>' % (L - 6, yy + 4, lab))
a('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (L, T, L, T + ph))
a('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (L, T + ph, W - R, T + ph))
a('<text transform="translate(16,%d) rotate(-90)" text-anchor="middle">µs/op</text>' % (T + ph // 2))
gw = pw / max(len(workloads), 1)
bw = gw * 0.8 / len(ALL_MODES)
for i, w in enumerate(workloads):
    x0 = L + i * gw + gw * 0.1
    for j, m in enumerate(ALL_MODES):
        v = fig[(m, w)][0]
        x = x0 + j * bw
        if v:
            yy = min(y(v), T + ph - 1)
            a('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s µs/op</title></rect>'
              % (x, yy, bw - 1, T + ph - yy, COL[m], w, m, fmt(v)))
        else:
            a('<text x="%.1f" y="%d" font-size="9" fill="#777" transform="rotate(-90 %.1f %d)">n/a</text>'
              % (x + bw / 2 + 3, T + ph - 4, x + bw / 2 + 3, T + ph - 4))
    cx = L + i * gw + gw / 2
    a('<text x="%.1f" y="%d" text-anchor="end" transform="rotate(-35 %.1f %d)">%s</text>'
      % (cx, T + ph + 16, cx, T + ph + 16, w))
for j, m in enumerate(ALL_MODES):
    lx = W - R - 88 * len(ALL_MODES) + j * 88
    a('<rect x="%d" y="12" width="12" height="12" fill="%s"/>' % (lx, COL[m]))
    a('<text x="%d" y="22">%s</text>' % (lx + 16, NAME[m]))
a('</svg>')
with open(svg_path, "w") as f:
    f.write("\n".join(s) + "\n")
PY

echo "bench/modes.sh: wrote $MD and $SVG ($elapsed s in all)" >&2

# Standalone: put the section into docs/benchmarks.md in place of the old
# one, or before the hand-written analysis (bench/notes.md) the first time.
if [[ $UPDATE_DOCS == 1 ]]; then
	python3 - docs/benchmarks.md "$MD" "$SECTION" <<'PY'
import sys
doc_path, sec_path, head = sys.argv[1:4]
doc = open(doc_path).read()
sec = open(sec_path).read().rstrip("\n") + "\n\n"
if head in doc:
    start = doc.index(head)
    # the section ends at the next "## " heading or the notes' marker
    ends = [i for i in (doc.find("\n## ", start + 1), doc.find("\n<!-- bench/notes.md", start + 1)) if i >= 0]
    end = min(ends) + 1 if ends else len(doc)
    doc = doc[:start] + sec + doc[end:]
else:
    mark = "<!-- bench/notes.md"
    i = doc.find(mark)
    doc = doc[:i] + sec + doc[i:] if i >= 0 else doc.rstrip("\n") + "\n\n" + sec
open(doc_path, "w").write(doc)
PY
	echo "bench/modes.sh: updated docs/benchmarks.md" >&2
fi
