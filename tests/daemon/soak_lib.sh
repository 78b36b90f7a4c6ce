# tests/daemon/soak_lib.sh: create/destroy cycles through `pvisor daemon`
# and what they may leave behind. Sourced by tests/suites/daemon.sh
# (daemon/soak-cycles) and bench/soak.sh (the long soak), so both count the
# same things the same way. No function here decides anything by timing:
# the waits are upper bounds for a stuck run.
# shellcheck shell=bash

# soak_procs STATE_DIR: how many processes name STATE_DIR/domains/ on their
# command line: the domains' `pvisor run` processes and the daemon's
# configuration checks (the daemon itself names only STATE_DIR).
soak_procs() {
	local p n=0 cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[[ $cmd == *"$1/domains/"* ]] && n=$((n + 1))
	done
	echo "$n"
}

# soak_cgroups CGROUP: domain cgroups left under CGROUP (cgroup v2 or v1).
soak_cgroups() {
	local d n=0
	for d in /sys/fs/cgroup/"$1"/dom* /sys/fs/cgroup/*/"$1"/dom*; do
		[[ -d $d ]] && n=$((n + 1))
	done
	echo "$n"
}

# soak_sample DAEMON_PID STATE_DIR CGROUP: one line of the daemon's
# descriptors, threads and RSS (KiB), the host's MemAvailable (KiB), and
# the processes, domain cgroups and state files (STATE_DIR/domains/*)
# left over:
#   fds threads rss_kib memavail_kib procs cgroups files
soak_sample() {
	local fds threads rss avail files
	fds=$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	threads=$(awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	files=$(find "$2/domains" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	echo "${fds:-0} ${threads:-0} ${rss:-0} $avail $(soak_procs "$2") $(soak_cgroups "$3") $files"
}

# soak_cycle SOCKET PVISOR STATE_DIR IMAGE: one cycle: create a 16 MiB
# domain named soak from IMAGE (a guest that prints "up as domain" and
# then sleeps, tests/daemon/sleeper.c), wait until its guest is up (at
# most 60 s), destroy it. Returns 1 with the reason in $soak_why.
soak_cycle() {
	local id i
	soak_why=
	if ! id=$(PVISOR_SOCKET=$1 timeout 60 "$2" create --name soak --mem 16M "$4" 2>&1); then
		soak_why="create: $id"
		return 1
	fi
	for ((i = 0; i < 600; i++)); do
		grep -qF "up as domain $id" "$3/domains/$id.console" 2>/dev/null && break
		sleep 0.1
	done
	((i < 600)) || soak_why="domain $id did not come up in 60 s"
	if ! PVISOR_SOCKET=$1 timeout 60 "$2" destroy soak >/dev/null 2>&1; then
		soak_why="${soak_why:+$soak_why; }destroy of domain $id failed"
	fi
	[[ -z $soak_why ]]
}
