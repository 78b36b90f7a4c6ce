# bench/daemon_env.sh: sourced by the toolstack benchmarks. bench_daemon
# CGROUP starts a daemon on a fresh state directory ($work) with its
# domain cgroups under CGROUP, exports PVISOR_SOCKET, and arranges that
# on exit every domain, the daemon, its cgroups and $work are gone.
# Needs $B (the build directory).

bench_cleanup() {
	local pid
	for pid in $("$B/pvisor" list --json 2>/dev/null |
		python3 -c 'import json,sys; [print(d["pid"]) for d in json.load(sys.stdin) if d["pid"]]'); do
		kill -9 "$pid" 2>/dev/null
	done
	[[ -n ${dpid:-} ]] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	rmdir /sys/fs/cgroup/"$bench_cgroup"/dom* /sys/fs/cgroup/*/"$bench_cgroup"/dom* \
		/sys/fs/cgroup/"$bench_cgroup" /sys/fs/cgroup/*/"$bench_cgroup" 2>/dev/null
	rm -rf "$work"
}

bench_daemon() {
	bench_cgroup=$1
	work=$(mktemp -d)
	export PVISOR_SOCKET=$work/control.sock
	trap bench_cleanup EXIT
	"$B/pvisor" daemon --socket "$PVISOR_SOCKET" --state-dir "$work/state" --cgroup "$bench_cgroup" \
		2>"$work/daemon.err" &
	dpid=$!
	for _ in $(seq 100); do [[ -S $PVISOR_SOCKET ]] && break; sleep 0.05; done
}
