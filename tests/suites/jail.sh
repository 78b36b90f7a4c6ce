# tests/suites/jail.sh: `pvisor run --jail` and the daemon's jailed domains
# (sourced by tests/run after confine.sh and daemon.sh, whose helpers it
# uses; net.sh runs its echo test jailed too;
# docs/confinement.md, "The jail"). A jailed domain process runs as the
# uid it was given, with no capabilities, as init of its own pid
# namespace, in new mount, IPC, UTS and network namespaces, in an empty
# root, without core dumps; its disks, TAP and reboots work on the files
# opened before; it dies with its supervisor; without root --jail is
# refused.

# jail_problem PID UID GID: what about PID's jail is wrong (nothing if all is right).
jail_problem() {
	local pid=$1 uid=$2 gid=$3 status ns t root
	status=$(cat "/proc/$pid/status" 2>/dev/null) || { echo "no process $pid"; return; }
	grep -q "^Uid:[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid$" <<<"$status" ||
		{ echo "uids: $(grep ^Uid <<<"$status")"; return; }
	grep -q "^Gid:[[:space:]]*$gid[[:space:]]*$gid[[:space:]]*$gid[[:space:]]*$gid$" <<<"$status" ||
		{ echo "gids: $(grep ^Gid <<<"$status")"; return; }
	grep -q "^Groups:[[:space:]]*$" <<<"$status" || { echo "groups: $(grep ^Groups <<<"$status")"; return; }
	grep -q "^CapEff:[[:space:]]*0*$" <<<"$status" || { echo "capabilities: $(grep ^CapEff <<<"$status")"; return; }
	grep -q "^CapPrm:[[:space:]]*0*$" <<<"$status" || { echo "capabilities: $(grep ^CapPrm <<<"$status")"; return; }
	grep -q "^NSpid:[[:space:]]*$pid[[:space:]]*1$" <<<"$status" ||
		{ echo "not init of a pid namespace: $(grep ^NSpid <<<"$status")"; return; }
	for ns in mnt pid ipc uts net; do
		[[ $(readlink "/proc/$pid/ns/$ns") != "$(readlink /proc/self/ns/$ns)" ]] ||
			{ echo "shares the host's $ns namespace"; return; }
	done
	root=$(ls -A "/proc/$pid/root/" 2>&1)
	[[ -z $root ]] || { echo "its root is not empty: $(tr '\n' ' ' <<<"$root")"; return; }
	grep -q "^Max core file size *0 *0 " "/proc/$pid/limits" ||
		{ echo "core dumps allowed: $(grep core "/proc/$pid/limits")"; return; }
	for t in /proc/"$pid"/task/*; do
		grep -q "^Seccomp:[[:space:]]*2$" "$t/status" 2>/dev/null ||
			{ echo "thread $(cat "$t/comm" 2>/dev/null) has no seccomp filter"; return; }
	done
}

# A jailed domain with a disk: how it is confined, and its end with the supervisor.
jail_isolated() {
	local name=jail/isolated img=$tmp/jail.img why= child i
	wanted_guest "$name" || return 0
	truncate -s 4M "$img"
	if ! confine_start "$tmp/jail.log" holding "$PV" run --jail=4242:4343 --timeout 90 \
		--disk "$img" "$B/guest/tests/blk/blk_hold.elf"; then
		why="the guest never held its disk: $(head -c 300 "$tmp/jail.log")"
	else
		child=$(process_child "$confine_pid")
		why=$(jail_problem "$child" 4242 4343)
	fi
	[[ -z $why ]] && [[ $(cut -d' ' -f3 "/proc/$confine_pid/stat") != S ]] &&
		why="the supervisor is not just waiting"
	kill -9 "$confine_pid" 2>/dev/null
	wait "$confine_pid" 2>/dev/null
	[[ -z $why ]] && pass "$name" || fail "$name" "$why"

	name=jail/dies-with-supervisor
	why="the domain process $child outlived its supervisor by 30 s"
	for ((i = 0; i < 300; i++)); do
		[[ -z $child || ! -e /proc/$child || $(cut -d' ' -f3 "/proc/$child/stat" 2>/dev/null) == Z ]] &&
			{ why=; break; }
		sleep 0.1
	done
	[[ -z $child ]] && why="no domain process found"
	[[ -z $why ]] && pass "$name" || { fail "$name" "$why"; kill -9 "$child" 2>/dev/null; }
}

# Kept files across a reboot (the image read again from its start, /dev/kvm
# again), the guest's exit status through the supervisor and the exit file.
jail_reboot_and_status() {
	local name=jail/reboot out rc
	if wanted_guest "$name"; then
		out=$(timeout 120 "$PVSAN" run --jail --timeout 60 "$B/guest/tests/guest/reboot.elf" 2>&1)
		rc=$?
		if [[ $rc == 0 && $out == *"first boot, rebooting"* && $out == *PASS* ]]; then pass "$name"
		else fail "$name" "exit $rc: $(tail -c 300 <<<"$out" | tr '\n' '|')"; fi
	fi
	name=jail/exit-status
	if wanted_guest "$name"; then
		rm -f "$tmp/jail.exit"
		timeout 120 "$PVSAN" run --jail --timeout 60 --exit-file "$tmp/jail.exit" \
			"$B/guest/tests/guest/exit_status.elf" >"$tmp/jail.out" 2>&1
		rc=$?
		if [[ $rc == 42 && $(cat "$tmp/jail.exit" 2>/dev/null) == 42 ]]; then pass "$name"
		else fail "$name" "exit $rc, exit file '$(cat "$tmp/jail.exit" 2>&1)': $(tail -c 200 "$tmp/jail.out")"; fi
	fi
}

# A guest's flushed writes land in the host file through the kept descriptor.
jail_disk_data() {
	local name=jail/disk-data img=$tmp/jail-data.img out last
	wanted_guest "$name" || return 0
	truncate -s 256K "$img"
	out=$(timeout 120 "$PV" run --jail --timeout 60 --mem 128M --disk "$img" --cmdline "run 7" \
		"$B/guest/tests/blk/blk_flushkill.elf" 2>&1)
	last=$(grep -o 'flushed [0-9]*' <<<"$out" | tail -n 1 | cut -d' ' -f2)
	if [[ -z $last ]]; then
		fail "$name" "nothing flushed: $(tail -c 300 <<<"$out" | tr '\n' '|')"
	elif ! timeout 120 "$PV" run --timeout 60 --mem 128M --disk "$img" --cmdline "check 7 $last" \
		"$B/guest/tests/blk/blk_flushkill.elf" >"$tmp/jail-check.out" 2>&1; then
		fail "$name" "records 0..$last not on disk: $(tail -c 300 "$tmp/jail-check.out" | tr '\n' '|')"
	else
		pass "$name"
	fi
}

# The daemon (as root) jails every domain as uid and gid 300000 + its id.
jail_daemon() {
	local name=jail/daemon-domains img=$B/guest/tests/daemon/sleeper.elf why= pid child
	wanted_guest "$name" || return 0
	daemon_start "$PV" || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name j1 "$img" >/dev/null && pv_ctl create --name j2 "$img" >/dev/null ||
		why="create failed"
	[[ -z $why ]] && ! { wait_log 1 "up as" && wait_log 2 "up as"; } && why="the guests did not come up"
	if [[ -z $why ]]; then
		pid=$(domain_field j2 pid)
		child=$(process_child "$pid")
		why=$(jail_problem "$child" 300002 300002)
	fi
	[[ -z $why ]] && ! pv_ctl destroy j2 && why="destroy failed"
	[[ -z $why && -n $child && -e /proc/$child ]] && why="the domain process $child outlived destroy"
	daemon_result "$name" "$why"
	daemon_cleanup
}

jail_bad_input() {
	wanted_guest badinput/jail-needs-root || return 0
	expect_error jail-needs-root 125 "--jail needs root" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$PVSAN" run --jail --timeout 5
	expect_error jail-uid-zero 125 "unprivileged UID" -- "$PVSAN" run --jail=0 --timeout 5
	expect_error jail-uid-text 125 "unprivileged UID" -- "$PVSAN" run --jail=nobody --timeout 5
	expect_error jail-gid-bad 125 "unprivileged UID" -- "$PVSAN" run --jail=5:x --timeout 5
}

suite_jail() {
	if [[ $(id -u) != 0 ]]; then
		skip jail/all "not root: the jail needs root"
		return
	fi
	jail_isolated
	jail_reboot_and_status
	jail_disk_data
	jail_daemon
	jail_bad_input
}
