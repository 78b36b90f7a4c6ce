# tests/suites/confine.sh: the seccomp filters on a running domain
# (sourced by tests/run; docs/confinement.md). While a guest runs, every
# thread of its pvisor shows a filter in /proc/PID/task/*/status, and the
# threads that handle guest I/O two stacked ones; --no-seccomp shows none.
# What the filters refuse is tested on the host by tests/unit/test_seccomp.c.

# confine_start LOG WANT ARGS...: starts pvisor ARGS in the background and
# waits (up to 60 s) until LOG holds WANT; sets confine_pid. 1 if it never did.
confine_start() {
	local log=$1 want=$2
	shift 2
	"$@" >"$log" 2>&1 </dev/null &
	confine_pid=$!
	for _ in $(seq 600); do
		grep -q "$want" "$log" 2>/dev/null && return 0
		kill -0 "$confine_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

confine_stop() {
	kill "$confine_pid" 2>/dev/null
	wait "$confine_pid" 2>/dev/null
}

# One line per thread: "COMM SECCOMP FILTERS".
confine_threads() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s %s %s\n' "$(cat "$t/comm" 2>/dev/null)" \
			"$(awk '/^Seccomp:/ { print $2 }' "$t/status" 2>/dev/null)" \
			"$(awk '/^Seccomp_filters:/ { print $2 }' "$t/status" 2>/dev/null)"
	done
}

# confine_check TABLE GUEST_IO_THREADS...: every thread filtered; each named
# one present with two filters; the main thread with one. Prints why not.
confine_check() {
	local table=$1 name
	shift
	awk '$2 != 2 { print "thread " $1 " has Seccomp " $2; bad = 1 } END { exit bad }' <<<"$table" ||
		return 0
	for name in "$@"; do
		grep -q "^$name 2 2$" <<<"$table" ||
			{ echo "no thread $name with two filters: $(tr '\n' ';' <<<"$table")"; return 0; }
	done
	grep -q "^pvisor[^ ]* 2 1$" <<<"$table" ||
		echo "the main thread has not exactly the process filter: $(tr '\n' ';' <<<"$table")"
}

confine_pv_disk() {
	local name=confine/threads-filtered img=$tmp/confine.img why= table
	wanted_guest "$name" || return 0
	truncate -s 4M "$img"
	if ! confine_start "$tmp/confine.log" holding "$PVSAN" run --timeout 90 \
		--disk "$img,io=threads" "$B/guest/tests/blk/blk_hold.elf"; then
		why="the guest never held its disk: $(head -c 200 "$tmp/confine.log")"
	else
		table=$(confine_threads "$confine_pid")
		why=$(confine_check "$table" vcpu0 block-backend console-backend disk-io)
	fi
	confine_stop
	[[ -z $why ]] && pass "$name" || fail "$name" "$why"
}

confine_full_mode() {
	local name=confine/full-mode-filtered why= table
	wanted_guest "$name" || return 0
	if ! confine_start "$tmp/confine.log" "sleeper: up" "$PV" run --mode=full --timeout 90 \
		"$B/guest/tests/daemon/sleeper.elf"; then
		why="the guest never started: $(head -c 200 "$tmp/confine.log")"
	else
		table=$(confine_threads "$confine_pid")
		why=$(confine_check "$table" vcpu0 pc-devices)
	fi
	confine_stop
	[[ -z $why ]] && pass "$name" || fail "$name" "$why"
}

confine_disabled() {
	local name=confine/no-seccomp why= table
	wanted_guest "$name" || return 0
	if ! confine_start "$tmp/confine.log" "sleeper: up" "$PV" run --no-seccomp --timeout 90 \
		"$B/guest/tests/daemon/sleeper.elf"; then
		why="the guest never started: $(head -c 200 "$tmp/confine.log")"
	else
		table=$(confine_threads "$confine_pid")
		awk '$2 != 0 { bad = 1 } END { exit bad }' <<<"$table" ||
			why="a thread is filtered: $(tr '\n' ';' <<<"$table")"
		grep -q '^vcpu0 ' <<<"$table" || why="no vcpu0 thread: $(tr '\n' ';' <<<"$table")"
	fi
	confine_stop
	[[ -z $why ]] && pass "$name" || fail "$name" "$why"
}

suite_confine() {
	confine_pv_disk
	confine_full_mode
	confine_disabled
}
