# tests/suites/daemon.sh: the daemon and its toolstack verbs (docs/api.md),
# sourced by tests/run, which calls suite_daemon. The API's bad input needs
# no KVM; the lifecycle tests boot domains. Every daemon and domain this
# suite starts is stopped by it (and by daemon_cleanup on exit).
# shellcheck shell=bash disable=SC2154

daemon_pid=
DAEMON_SOCK=
DAEMON_STATE=

daemon_cleanup() {
	local pid
	if [[ -n $DAEMON_STATE ]]; then
		# Domains outlive the daemon by design: end them too.
		for pid in $(PVISOR_SOCKET=$DAEMON_SOCK "$PVSAN" list --json 2>/dev/null |
			python3 -c 'import json,sys; [print(d["pid"]) for d in json.load(sys.stdin) if d["pid"]]' 2>/dev/null); do
			kill -9 -- "-$pid" "$pid" 2>/dev/null   # its session: a jailed domain's process too
		done
	fi
	if [[ -n $daemon_pid ]]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	daemon_pid=
	# The daemon removes its cgroups as it goes; this catches what a
	# daemon killed mid-test could not.
	rmdir /sys/fs/cgroup/pvisor-test-$$/dom* /sys/fs/cgroup/*/pvisor-test-$$/dom* \
		/sys/fs/cgroup/pvisor-test-$$ /sys/fs/cgroup/*/pvisor-test-$$ 2>/dev/null
}

# daemon_start [BINARY]: a daemon (the sanitizer build unless BINARY) on a
# fresh socket and state dir.
daemon_start() {
	daemon_cleanup
	DAEMON_STATE=$(mktemp -d "$tmp/daemon.XXXXXX")
	DAEMON_SOCK=$DAEMON_STATE/control.sock
	daemon_restart "${1:-$PVSAN}"
}

# daemon_restart [BINARY]: a new daemon on the same socket and state dir
# (the old one must be gone).
daemon_restart() {
	"${1:-$PVSAN}" daemon --socket "$DAEMON_SOCK" --state-dir "$DAEMON_STATE/state" \
		--cgroup "pvisor-test-$$" 2>>"$DAEMON_STATE/daemon.err" &
	daemon_pid=$!
	for _ in $(seq 100); do
		[[ -S $DAEMON_SOCK ]] && return 0
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon did not start: $(cat "$DAEMON_STATE/daemon.err")"
	return 1
}

pv_ctl() { PVISOR_SOCKET=$DAEMON_SOCK timeout 60 "$PVSAN" "$@"; }
api() { timeout 60 python3 tests/daemon/rawapi.py "$DAEMON_SOCK" "$@"; }

# api_expect NAME REQUEST_TEXT WANT: the reply (or CLOSED) contains WANT.
api_expect() {
	local name=daemon/api-$1 got
	wanted "$name" || return 0
	got=$(printf '%s' "$2" | api send)
	if [[ $got == *"$3"* ]]; then pass "$name"; else fail "$name" "reply: ${got:0:300}"; fi
}

# domain_field NAME_OR_ID KEY: a field of one domain in `list --json`.
domain_field() {
	pv_ctl list --json | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if str(d["id"]) == sys.argv[1] or d["name"] == sys.argv[1]:
        print(d.get(sys.argv[2]))' "$1" "$2"
}

# wait_log ID TEXT: the domain's console log shows TEXT (at most 60 s).
wait_log() { wait_for_text "$DAEMON_STATE/state/domains/$1.console" "$2" 60; }
# count_log ID TEXT: lines of the console log with TEXT.
count_log() {
	local n
	n=$(grep -cF -- "$2" "$DAEMON_STATE/state/domains/$1.console" 2>/dev/null)
	echo "${n:-0}"
}
# read_bytes ID: what read_forever.elf says it has read, in all.
read_bytes() {
	awk '/^read [0-9]+ bytes/ { n += $2 } END { print n + 0 }' "$DAEMON_STATE/state/domains/$1.console" 2>/dev/null
}
# poll_until SECONDS COMMAND...: until COMMAND succeeds (every 0.1 s);
# fails after SECONDS.
poll_until() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# at_least N COMMAND...: COMMAND prints a number >= N.
at_least() { (($("${@:2}") >= $1)); }
# equals TEXT COMMAND...: COMMAND prints TEXT.
equals() { [[ $("${@:2}") == "$1" ]]; }

# wait_read_bytes ID N: read_forever.elf has read at least N bytes (60 s).
wait_read_bytes() { poll_until 60 at_least "$2" read_bytes "$1"; }
# wait_ticks ID N: the console log has at least N tick lines (60 s).
wait_ticks() { poll_until 60 at_least "$2" count_log "$1" "sleeper: tick"; }
# wait_state NAME STATE: `list` shows it (60 s).
wait_state() { poll_until 60 equals "$2" domain_field "$1" state; }

daemon_bad_input() {
	local big
	expect_error daemon-not-running 125 "cannot reach the daemon" -- \
		env PVISOR_SOCKET="$tmp/no-daemon.sock" "$PVSAN" list
	daemon_start || { fail daemon/start "$(cat "$DAEMON_STATE/daemon.err")"; return; }
	expect_error daemon-twice 125 "a daemon already serves" -- \
		"$PVSAN" daemon --socket "$DAEMON_SOCK" --state-dir "$DAEMON_STATE/state2"
	expect_error daemon-bad-option 125 "bad option" -- "$PVSAN" daemon --frobnicate
	: >"$tmp/not-a-socket"
	expect_error daemon-socket-not-socket 125 "is not a socket" -- \
		"$PVSAN" daemon --socket "$tmp/not-a-socket" --state-dir "$DAEMON_STATE/state3"
	if wanted badinput/daemon-socket-file-kept && [[ ! -f $tmp/not-a-socket ]]; then
		fail badinput/daemon-socket-file-kept "the daemon removed a file that was not its socket"
	elif wanted badinput/daemon-socket-file-kept; then
		pass badinput/daemon-socket-file-kept
	fi
	api_expect bad-json 'this is not json
' '"code":"bad-json"'
	api_expect not-object '[1,2]
' '"code":"bad-json"'
	api_expect no-version '{"method":"list"}
' '"code":"bad-version"'
	api_expect wrong-version '{"pvisor":99,"method":"list"}
' '"code":"bad-version"'
	api_expect unknown-method '{"pvisor":1,"method":"reformat"}
' '"code":"unknown-method"'
	api_expect params-not-object '{"pvisor":1,"method":"list","params":7}
' '"code":"bad-request"'
	api_expect create-no-config '{"pvisor":1,"method":"create","params":{"cwd":"/"}}
' '"code":"bad-request"'
	api_expect create-relative-cwd '{"pvisor":1,"method":"create","params":{"cwd":"tmp","config":{}}}
' '"code":"bad-request"'
	api_expect create-bad-config '{"pvisor":1,"method":"create","params":{"cwd":"/","config":{"mem":"lots"}}}
' "--mem 'lots' is not a size"
	api_expect create-unknown-key '{"pvisor":1,"method":"create","params":{"cwd":"/","config":{"memory":1}}}
' 'unknown key'
	api_expect create-bad-name '{"pvisor":1,"method":"create","params":{"cwd":"/","name":"a b","config":{}}}
' 'bad name'
	api_expect create-numeric-name '{"pvisor":1,"method":"create","params":{"cwd":"/","name":"42","config":{}}}
' 'bad name'
	api_expect destroy-unknown '{"pvisor":1,"method":"destroy","params":{"domain":"nobody"}}
' '"code":"no-such-domain"'
	api_expect id-echoed '{"pvisor":1,"id":"q7","method":"list"}
' '"id":"q7"'
	api_expect pause-unknown '{"pvisor":1,"method":"pause","params":{"domain":"nobody"}}
' '"code":"no-such-domain"'
	api_expect shutdown-no-domain '{"pvisor":1,"method":"shutdown","params":{}}
' '"code":"bad-request"'
	api_expect wait-unknown '{"pvisor":1,"method":"wait","params":{"domain":7}}
' '"code":"no-such-domain"'
	api_expect console-unknown '{"pvisor":1,"method":"console","params":{"domain":"x"}}
' '"code":"no-such-domain"'
	api_expect subscribe '{"pvisor":1,"method":"subscribe"}
' '"result":{}'
	expect_error verb-no-domain 125 "takes one domain" -- env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" pause
	expect_error verb-bad-grace 125 "--grace 'soon'" -- \
		env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" shutdown --grace soon x
	expect_error verb-grace-not-here 125 "bad option" -- \
		env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" pause --grace 3 x
	api_expect sched-credit-unknown '{"pvisor":1,"method":"sched-credit","params":{"domain":"x","cap":-1}}
' '"code":"no-such-domain"'
	expect_error top-bad-interval 125 "bad option" -- env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" top --interval 0
	expect_error verb-bad-size 125 "not a size" -- env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" mem-set x lots
	expect_error verb-no-size 125 "and a size" -- env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" mem-max x
	api_expect mem-set-unknown '{"pvisor":1,"method":"mem-set","params":{"domain":"x"}}
' '"code":"no-such-domain"'
	big=$tmp/daemon-big.json
	python3 -c 'import sys; sys.stdout.write("{\"pvisor\":1,\"method\":\"list\",\"x\":\"" + "a" * (1 << 21) + "\"}\n")' >"$big"
	if wanted daemon/api-too-large; then
		got=$(api send <"$big")
		if [[ $got == *'"code":"too-large"'* || $got == CLOSED ]]; then pass daemon/api-too-large
		else fail daemon/api-too-large "reply: ${got:0:200}"; fi
	fi
	# 300 idle connections (more than the daemon keeps): list still answers.
	if wanted daemon/api-idle-connections; then
		if api idle 300 env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" list >"$tmp/out" 2>"$tmp/err" &&
			grep -q '^ID' "$tmp/out"; then pass daemon/api-idle-connections
		else fail daemon/api-idle-connections "$(head -c 300 "$tmp/err")"; fi
	fi
	# A configuration check that hangs (its image is a FIFO nobody writes,
	# named in a configuration file, since the CLI would open the image):
	# the daemon serves meanwhile, lists the domain as creating, and the
	# check's time limit ends it with create-failed.
	if wanted daemon/create-async; then
		local why= cpid rc
		mkfifo "$tmp/hang.elf"
		printf '{"image": "%s"}\n' "$tmp/hang.elf" >"$tmp/hang.json"
		pv_ctl create --name hang "$tmp/hang.json" >"$tmp/create.out" 2>"$tmp/create.err" &
		cpid=$!
		poll_until 20 equals creating domain_field hang state || why="never listed as creating"
		wait "$cpid"; rc=$?
		[[ -z $why && $rc != 125 ]] && why="create exit $rc"
		[[ -z $why ]] && ! grep -q "did not finish in 10 s" "$tmp/create.err" && why="$(head -c 200 "$tmp/create.err")"
		[[ -z $why && -n $(domain_field hang state) ]] && why="still listed as $(domain_field hang state)"
		rm -f "$tmp/hang.elf" "$tmp/hang.json"
		daemon_result daemon/create-async "$why"
	fi
	if wanted daemon/still-serving; then
		if kill -0 "$daemon_pid" 2>/dev/null && pv_ctl list >/dev/null 2>&1 &&
			! grep -q 'AddressSanitizer\|runtime error' "$DAEMON_STATE/daemon.err"; then
			pass daemon/still-serving
		else fail daemon/still-serving "$(head -c 300 "$DAEMON_STATE/daemon.err")"; fi
	fi
	daemon_cleanup
}

daemon_lifecycle() {
	local name=daemon/lifecycle img=$B/guest/tests/daemon/sleeper.elf id ids=() pid why=
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	for n in a b c; do
		id=$(pv_ctl create --name "$n" --mem 16M "$img") || { why="create $n failed"; break; }
		ids+=("$id")
	done
	if [[ -z $why && ${ids[*]} != "1 2 3" ]]; then why="ids ${ids[*]}, expected 1 2 3"; fi
	for id in "${ids[@]}"; do
		[[ -n $why ]] && break
		wait_log "$id" "sleeper: up as domain $id" || why="domain $id never said it was domain $id"
	done
	if [[ -z $why ]]; then
		pid=$(domain_field b pid)
		pv_ctl destroy b || why="destroy b failed"
	fi
	if [[ -z $why ]] && kill -0 "$pid" 2>/dev/null; then why="b's process $pid outlived destroy"; fi
	if [[ -z $why && -n $(domain_field b state) ]]; then why="b still listed"; fi
	if [[ -z $why ]]; then
		id=$(pv_ctl create --name d --mem 16M "$img")
		[[ $id == 2 ]] || why="a new domain got id $id, not the free 2"
	fi
	if [[ -z $why ]] && ! wait_log 2 "sleeper: up as domain 2"; then why="domain 2 did not come up"; fi
	for n in a c; do
		[[ -z $why && $(domain_field "$n" state) != running ]] && why="$n is $(domain_field "$n" state)"
	done
	if [[ -z $why ]]; then
		pv_ctl destroy a && pv_ctl destroy c && pv_ctl destroy d || why="destroy failed"
		[[ -z $why && $(pv_ctl list --json | tr -d ' \n') != '[]' ]] && why="list not empty"
	fi
	if [[ -z $why ]]; then
		kill "$daemon_pid"; wait "$daemon_pid"; daemon_pid=
		[[ -S $DAEMON_SOCK ]] && why="the socket outlived the daemon"
	fi
	if [[ -n $why ]]; then fail "$name" "$why"; else pass "$name"; fi
	daemon_cleanup
}

# kill -9 of one domain's process: it shows as crashed, the others run on;
# a domain that powers off shows as shutdown with its status.
daemon_isolation() {
	local name=daemon/kill-isolation img=$B/guest/tests/daemon/sleeper.elf why= pid
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name victim --mem 16M "$img" >/dev/null &&
		pv_ctl create --name bystander --mem 16M "$img" >/dev/null || why="create failed"
	if [[ -z $why ]] && ! { wait_log 1 "up as domain 1" && wait_log 2 "up as domain 2"; }; then
		why="domains did not come up"
	fi
	if [[ -z $why ]]; then
		pid=$(domain_field victim pid)
		kill -9 "$pid"
		wait_state victim crashed || why="victim is $(domain_field victim state) after kill -9"
	fi
	[[ -z $why && $(domain_field victim reason) != *"signal 9"* ]] && why="reason: $(domain_field victim reason)"
	[[ -z $why && $(domain_field bystander state) != running ]] && why="bystander is $(domain_field bystander state)"
	if [[ -n $why ]]; then fail "$name" "$why"; else pass "$name"; fi

	name=daemon/exit-status
	why=
	pv_ctl create --name quitter "$B/guest/tests/guest/exit_status.elf" >/dev/null || why="create failed"
	if [[ -z $why ]] && ! wait_state quitter shutdown; then why="quitter is $(domain_field quitter state)"; fi
	[[ -z $why && $(domain_field quitter exit_status) != 42 ]] && why="exit status $(domain_field quitter exit_status)"
	if [[ -n $why ]]; then fail "$name" "$why"; else pass "$name"; fi
	daemon_cleanup
}


# result NAME WHY: pass when WHY is empty.
daemon_result() { if [[ -n $2 ]]; then fail "$1" "$2"; else pass "$1"; fi; }

# Pause stops the vCPU (no ticks), unpause resumes it with its timer.
daemon_pause() {
	local name=daemon/pause img=$B/guest/tests/daemon/sleeper.elf why= a b
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name p --mem 16M --cmdline tick "$img" >/dev/null || why="create failed"
	[[ -z $why ]] && ! wait_ticks 1 3 && why="no ticks"
	[[ -z $why ]] && ! pv_ctl pause p && why="pause failed"
	[[ -z $why && $(domain_field p state) != paused ]] && why="list says $(domain_field p state)"
	[[ -z $why ]] && ! pv_ctl info p | python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["domain"]["state"] != "paused")' &&
		why="the domain does not say paused"
	if [[ -z $why ]]; then
		sleep 0.5       # an exit in flight at the pause may still print
		a=$(count_log 1 "sleeper: tick")
		sleep 1
		b=$(count_log 1 "sleeper: tick")
		[[ $a != "$b" ]] && why="ticks went on while paused ($a, then $b)"
	fi
	[[ -z $why ]] && ! pv_ctl unpause p && why="unpause failed"
	[[ -z $why && $(domain_field p state) != running ]] && why="list says $(domain_field p state)"
	[[ -z $why ]] && ! wait_ticks 1 $((b + 3)) && why="ticks did not resume after unpause"
	daemon_result "$name" "$why"

	name=daemon/top
	why=
	pv_ctl top --interval 0.5 --iterations 1 >"$tmp/top.out" 2>&1 || why="top failed: $(head -c 200 "$tmp/top.out")"
	# the ticking guest makes hypercalls and console output every 100 ms
	[[ -z $why ]] && ! awk '$2 == "p" && $3 == "running" && $6 > 0 && $8 > 0 { ok = 1 } END { exit !ok }' "$tmp/top.out" &&
		why="no live row for p: $(cat "$tmp/top.out")"
	daemon_result "$name" "$why"
	daemon_cleanup
}

# shutdown: the kernel's default (status 0), a guest's own handler (3), a
# guest that ignores it (destroyed after the grace period), reboot, and
# a full-mode guest (no control event: an error).
daemon_shutdown() {
	local name=daemon/shutdown img=$B/guest/tests/daemon/sleeper.elf why= rc
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name plain --mem 16M "$img" >/dev/null &&
		pv_ctl create --name handler --mem 16M --cmdline handle "$img" >/dev/null &&
		pv_ctl create --name deaf --mem 16M --cmdline ignore "$img" >/dev/null &&
		pv_ctl create --name cycler --mem 16M --cmdline handle "$img" >/dev/null || why="create failed"
	for id in 1 2 3 4; do
		[[ -z $why ]] && ! wait_log $id "up as domain $id" && why="domain $id did not come up"
	done
	if [[ -z $why ]]; then
		pv_ctl shutdown --wait plain; rc=$?
		[[ $rc != 0 || $(domain_field plain state) != shutdown ]] && why="plain: exit $rc, $(domain_field plain state)"
	fi
	if [[ -z $why ]]; then
		pv_ctl shutdown --wait handler; rc=$?
		[[ $rc != 3 ]] && why="handler: exit $rc, not 3"
		[[ -z $why ]] && ! wait_log 2 "asked to power off" && why="handler was not asked"
	fi
	daemon_result "$name" "$why"

	name=daemon/shutdown-grace
	why=
	if ! pv_ctl shutdown --grace 1 deaf; then why="shutdown failed"
	elif ! wait_state deaf crashed; then why="deaf is $(domain_field deaf state)"
	elif [[ $(domain_field deaf reason) != *grace* ]]; then why="reason: $(domain_field deaf reason)"
	elif ! wait_log 3 "ignoring request 1"; then why="the guest never saw the request"
	fi
	daemon_result "$name" "$why"

	name=daemon/reboot
	why=
	if ! pv_ctl reboot cycler; then why="reboot failed"
	elif ! wait_log 4 "up as domain 4, boot 2"; then why="no second boot"
	elif [[ $(domain_field cycler state) != running ]]; then why="cycler is $(domain_field cycler state)"
	elif [[ $(count_log 4 "asked to reboot") != 1 ]]; then why="asked $(count_log 4 "asked to reboot") times"
	fi
	daemon_result "$name" "$why"

	if wanted_guest badinput/shutdown-full-mode; then
		if pv_ctl create --name full --mode full --mem 16M "$img" >/dev/null && wait_log 5 "up as domain 5"; then
			expect_error shutdown-full-mode 125 "full-mode guest has no control event" -- \
				env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" shutdown full
		else
			fail badinput/shutdown-full-mode "the full-mode domain did not come up"
		fi
	fi
	daemon_cleanup
}

# console: attach, type, see the answer; detach with Ctrl-]; one at a time.
daemon_console() {
	local name=daemon/console-attach why= rc holder
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name echo --mem 16M "$B/guest/tests/console/tty_echo.elf" >/dev/null &&
		pv_ctl create --name reader --mem 16M "$B/guest/tests/console/read_forever.elf" >/dev/null ||
		why="create failed"
	[[ -z $why ]] && ! { wait_log 1 "tty_echo ready" && wait_log 2 "reading"; } && why="guests did not come up"
	if [[ -z $why ]]; then
		printf 'hello\n' | pv_ctl console echo >"$tmp/console.out" 2>"$tmp/console.err"; rc=$?
		if [[ $rc != 0 ]]; then why="console exit $rc: $(head -c 200 "$tmp/console.err")"
		elif ! grep -q HELLO "$tmp/console.out"; then why="no HELLO: $(head -c 200 "$tmp/console.out")"
		elif ! wait_state echo shutdown; then why="echo is $(domain_field echo state)"
		fi
	fi
	daemon_result "$name" "$why"

	name=daemon/console-detach
	why=
	printf 'abc\035more' | pv_ctl console reader >"$tmp/console.out" 2>"$tmp/console.err"; rc=$?
	if [[ $rc != 0 ]]; then why="console exit $rc: $(head -c 200 "$tmp/console.err")"
	elif ! grep -q detached "$tmp/console.err"; then why="no detach message: $(head -c 200 "$tmp/console.err")"
	elif ! wait_read_bytes 2 3; then why="the guest did not get the keys"
	elif [[ $(domain_field reader state) != running ]]; then why="reader is $(domain_field reader state)"
	elif [[ $(read_bytes 2) != 3 ]]; then why="the guest read $(read_bytes 2) bytes: keys after Ctrl-] reached it"
	fi
	daemon_result "$name" "$why"

	if wanted badinput/console-busy; then
		# A client holds the console (its stdin a FIFO we keep open); its
		# marker echoed by the guest proves it is attached.
		mkfifo "$tmp/console.fifo"
		pv_ctl console reader <"$tmp/console.fifo" >/dev/null 2>&1 &
		holder=$!
		exec 7>"$tmp/console.fifo"
		printf 'held-by-one\n' >&7
		if wait_read_bytes 2 15; then
			expect_error console-busy 125 "another client has the console" -- \
				env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" console reader
		else
			fail badinput/console-busy "the first client did not attach"
		fi
		exec 7>&-
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
		rm -f "$tmp/console.fifo"
	fi
	daemon_cleanup
}

# The daemon is killed and started again: it re-adopts every domain with
# its id, name, pid and pause state, and still controls them.
daemon_readopt() {
	local name=daemon/readopt img=$B/guest/tests/daemon/sleeper.elf why= pa pb rc
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name a --mem 16M --cmdline tick "$img" >/dev/null &&
		pv_ctl create --name b --mem 16M --cmdline handle "$img" >/dev/null &&
		pv_ctl create --name c --mem 16M "$img" >/dev/null || why="create failed"
	[[ -z $why ]] && ! { wait_ticks 1 2 && wait_log 2 "up as" && wait_log 3 "up as"; } && why="not up"
	[[ -z $why ]] && ! pv_ctl pause a && why="pause failed"
	pa=$(domain_field a pid)
	pb=$(domain_field b pid)
	if [[ -z $why ]]; then
		kill -9 "$daemon_pid"; wait "$daemon_pid" 2>/dev/null
		kill -0 "$pa" 2>/dev/null && kill -0 "$pb" 2>/dev/null || why="domains died with the daemon"
	fi
	if [[ -z $why ]]; then
		daemon_restart
		for _ in $(seq 100); do pv_ctl list >/dev/null 2>&1 && break; sleep 0.1; done
		[[ $(domain_field a state) != paused || $(domain_field a id) != 1 || $(domain_field a pid) != "$pa" ]] &&
			why="a came back as $(domain_field a state), id $(domain_field a id), pid $(domain_field a pid)"
		[[ -z $why && ($(domain_field b state) != running || $(domain_field b pid) != "$pb") ]] &&
			why="b came back as $(domain_field b state), pid $(domain_field b pid)"
	fi
	[[ -z $why ]] && ! pv_ctl unpause a && why="unpause after re-adoption failed"
	[[ -z $why ]] && ! wait_ticks 1 $(($(count_log 1 'sleeper: tick') + 2)) && why="a did not run on"
	if [[ -z $why ]]; then
		pv_ctl shutdown --wait b; rc=$?
		[[ $rc != 3 ]] && why="b (adopted) ended with $rc, not 3"
	fi
	if [[ -z $why ]]; then
		kill -9 "$(domain_field c pid)"
		wait_state c crashed || why="c is $(domain_field c state) after kill -9"
	fi
	if [[ -z $why ]]; then
		pv_ctl destroy a
		kill -0 "$pa" 2>/dev/null && why="a's process outlived destroy"
	fi
	daemon_result "$name" "$why"
	daemon_cleanup
}

# create --wait returns the guest's status; subscribers see the events.
daemon_events() {
	local name=daemon/create-wait why= rc evpid
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	api events 3 >"$tmp/events" 2>"$tmp/events.err" &
	evpid=$!
	wait_for_text "$tmp/events.err" ready 30
	pv_ctl create --wait --name quitter "$B/guest/tests/guest/exit_status.elf" >/dev/null; rc=$?
	[[ $rc != 42 ]] && why="create --wait returned $rc, not 42"
	daemon_result "$name" "$why"

	name=daemon/events
	why=
	pv_ctl destroy quitter || why="destroy failed"
	wait "$evpid"
	if [[ -z $why ]] && ! python3 - "$tmp/events" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n")
events = [json.loads(l)["event"] for l in lines[1:] if l.strip()]
got = [(e["event"], e["name"]) for e in events]
assert got == [("created", "quitter"), ("shutdown", "quitter"), ("destroyed", "quitter")], got
assert events[1]["exit_status"] == 42, events[1]
PY
	then why="events: $(head -c 400 "$tmp/events")"; fi
	daemon_result "$name" "$why"
	daemon_cleanup
}

# A short soak (bench/soak.sh is the long one; tests/daemon/soak_lib.sh
# is shared): after a warm-up cycle, DAEMON_SOAK_CYCLES creates and
# destroys, each waiting for the guest to come up, leave the daemon with
# exactly the descriptors and threads it had, and no domain process,
# cgroup or state file behind. Memory is for the bench (ASan's quarantine
# and the allocator make RSS move without a leak). A domain up between the
# two samples must show in the counters, so they can fail.
DAEMON_SOAK_CYCLES=20
daemon_cycles() {
	local name=daemon/soak-cycles img=$B/guest/tests/daemon/sleeper.elf why= before after i cg=pvisor-test-$$ up id
	local f0 t0 f1 t1 p1 c1 s1 p c f want
	wanted_guest "$name" || return 0
	source tests/daemon/soak_lib.sh
	daemon_start "$PV" || { fail "$name" "daemon did not start"; return; }
	soak_cycle "$DAEMON_SOCK" "$PV" "$DAEMON_STATE/state" "$img" || why="warm-up: $soak_why"
	before=$(soak_sample "$daemon_pid" "$DAEMON_STATE/state" "$cg")
	if [[ -z $why ]]; then
		id=$(pv_ctl create --name probe --mem 16M "$img") && wait_log "$id" "up as domain $id" ||
			why="the probe domain did not come up"
		up=$(soak_sample "$daemon_pid" "$DAEMON_STATE/state" "$cg")
		read -r _ _ _ _ p c f <<<"$up"
		# A jailed domain is two processes: the supervisor and the domain.
		want=1
		grep -q "domains jailed" "$DAEMON_STATE/daemon.err" && want=2
		[[ -z $why && ($p != "$want" || $f == 0) ]] &&
			why="with a domain up the counters say: $up (want $want processes)"
		[[ -z $why && $c != 1 ]] && ! grep -q "not enforced" "$DAEMON_STATE/daemon.err" &&
			why="with a domain up, $c domain cgroups"
		pv_ctl destroy probe || why="destroy probe failed"
	fi
	for ((i = 1; i <= DAEMON_SOAK_CYCLES; i++)); do
		[[ -n $why ]] && break
		soak_cycle "$DAEMON_SOCK" "$PV" "$DAEMON_STATE/state" "$img" || why="cycle $i: $soak_why"
	done
	after=$(soak_sample "$daemon_pid" "$DAEMON_STATE/state" "$cg")
	read -r f0 t0 _ <<<"$before"
	read -r f1 t1 _ _ p1 c1 s1 <<<"$after"
	[[ -z $why && $f1 != "$f0" ]] && why="daemon descriptors $f0 -> $f1"
	[[ -z $why && $t1 != "$t0" ]] && why="daemon threads $t0 -> $t1"
	[[ -z $why && $p1 != 0 ]] && why="$p1 pvisor processes left"
	[[ -z $why && $c1 != 0 ]] && why="$c1 domain cgroups left"
	[[ -z $why && $s1 != 0 ]] && why="$s1 state files left: $(ls "$DAEMON_STATE/state/domains")"
	[[ -z $why ]] && echo "    (daemon after $DAEMON_SOAK_CYCLES cycles: $f1 fds, $t1 threads)"
	daemon_result "$name" "$why"
	daemon_cleanup
}

# info_field NAME KEY: a field of the running domain's own `info`.
info_field() {
	pv_ctl info "$1" 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["domain"][sys.argv[1]])' "$2" 2>/dev/null
}

# wait_mem NAME BYTES: the domain holds BYTES of RAM (60 s).
wait_mem() { poll_until 60 equals "$2" info_field "$1" mem_bytes; }

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# process_child PID: PID's child (a jail's domain process, the daemon's
# launcher); empty when it has none.
process_child() { tr -d ' \n' <"/proc/$1/task/$1/children" 2>/dev/null; }

# domain_process NAME: the process that runs NAME's guest: the child of the
# pid the daemon lists when the domain is jailed (cli/jail.h).
domain_process() {
	local pid kid
	pid=$(domain_field "$1" pid)
	kid=$(process_child "$pid")
	echo "${kid:-$pid}"
}

# mem-set down and up: the guest's balloon follows and the host's RSS
# with it; mem-max holds a guest that tries to take memory back.
daemon_memory() {
	local name=daemon/mem-set img=$B/guest/tests/daemon/sleeper.elf why= pid rss0 rss1
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name m --mem 64M --cmdline touch "$img" >/dev/null &&
		pv_ctl create --name g --mem 64M --cmdline greedy "$img" >/dev/null || why="create failed"
	[[ -z $why ]] && ! { wait_log 1 "sleeper: touched" && wait_log 2 "up as"; } && why="not up"
	if [[ -z $why ]]; then
		pid=$(domain_process m)
		rss0=$(rss_kib "$pid")
		pv_ctl mem-set m 16M || why="mem-set 16M failed"
	fi
	[[ -z $why ]] && ! wait_mem m $((16 << 20)) && why="m holds $(info_field m mem_bytes) bytes, not 16 MiB"
	if [[ -z $why ]]; then
		rss1=$(rss_kib "$pid")
		((rss0 - rss1 < 32768)) && why="RSS $rss0 -> $rss1 KiB: the host did not get 48 MiB back"
		echo "    (mem-set 64M -> 16M: domain RSS $rss0 -> $rss1 KiB)"
	fi
	[[ -z $why ]] && ! pv_ctl mem-set m 64M && why="mem-set 64M failed"
	[[ -z $why ]] && ! wait_mem m $((64 << 20)) && why="m holds $(info_field m mem_bytes) bytes after mem-set 64M"
	[[ -z $why && $(domain_field m mem_target_bytes) != $((64 << 20)) ]] && why="list: target $(domain_field m mem_target_bytes)"
	daemon_result "$name" "$why"

	name=daemon/mem-max
	why=
	if ! pv_ctl mem-max g 16M; then why="mem-max failed"
	elif ! wait_log 2 "reclaim refused"; then why="the greedy guest was never refused"
	elif ! wait_mem g $((16 << 20)); then why="g holds $(info_field g mem_bytes) bytes over its 16 MiB max"
	elif [[ $(domain_field g mem_max_bytes) != $((16 << 20)) ]]; then why="list: max $(domain_field g mem_max_bytes)"
	fi
	daemon_result "$name" "$why"
	if wanted_guest badinput/mem-set-over-max; then
		expect_error mem-set-over-max 125 "at most the max" -- \
			env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" mem-set g 32M
		expect_error mem-max-over-boot 125 "at most the max" -- \
			env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" mem-max g 128M
	fi
	daemon_cleanup
}

# A domain's own control socket (STATE/domains/N.sock, hv/domctl/) answers
# bad requests with an error and keeps serving, and the guest runs on.
daemon_domctl_bad_input() {
	local name=daemon/domctl-bad-input img=$B/guest/tests/daemon/sleeper.elf why= sock got
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name d --cmdline tick "$img" >/dev/null || why="create failed"
	[[ -z $why ]] && ! wait_ticks 1 1 && why="no tick from the guest"
	sock=$DAEMON_STATE/state/domains/1.sock
	domctl() { printf '%s' "$1" | timeout 60 python3 tests/daemon/rawapi.py "$sock" send; }
	while IFS='|' read -r request want; do
		[[ -n $why ]] && break
		got=$(domctl "$request"$'\n')
		[[ $got == *"$want"* ]] || why="'${request:0:60}' got '${got:0:200}', not $want"
	done <<-'EOF2'
		not json at all|"bad-json"
		[1,2,3]|"bad-json"
		{"pvisor":2,"method":"info"}|"bad-version"
		{"pvisor":1}|"bad-request"
		{"pvisor":1,"method":"frobnicate"}|"unknown-method"
		{"pvisor":1,"method":"mem-set","params":[1]}|"bad-request"
		{"pvisor":1,"method":"mem-set","params":{"bytes":12345}}|"bad-request"
		{"pvisor":1,"method":"mem-set","params":{"bytes":"lots"}}|"bad-request"
		{"pvisor":1,"method":"mem-max","params":{"bytes":1099511627776}}|"out-of-range"
	EOF2
	if [[ -z $why ]]; then
		got=$(head -c 5000 /dev/zero | tr '\0' 'x' | timeout 60 python3 tests/daemon/rawapi.py "$sock" send)
		[[ $got == *'"too-long"'* || $got == CLOSED ]] || why="a 5000-byte line got '${got:0:200}'"
	fi
	[[ -z $why ]] && ! domctl '{"pvisor":1,"method":"info"}'$'\n' | grep -q '"state"' && why="info failed after the bad requests"
	[[ -z $why ]] && ! wait_ticks 1 3 && why="the guest stopped ticking"
	[[ -z $why && $(domain_field d state) != running ]] && why="state $(domain_field d state)"
	unset -f domctl
	daemon_result "$name" "$why"
	daemon_cleanup
}

# sched-credit: weight and cap reach the domain's cgroup, which holds its
# process; where no cpu controller is writable, it says so.
daemon_sched_credit() {
	local name=daemon/sched-credit img=$B/guest/tests/daemon/sleeper.elf why= out dir ver pid
	wanted_guest "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	pv_ctl create --name s --mem 16M "$img" >/dev/null || why="create failed"
	[[ -z $why ]] && ! wait_log 1 "up as" && why="not up"
	if [[ -z $why ]] && grep -q "CPU weights and caps are not enforced" "$DAEMON_STATE/daemon.err"; then
		out=$(pv_ctl sched-credit --weight 512 s 2>&1) && why="sched-credit succeeded without cgroups: $out"
		[[ -z $why && $out != *"not enforced"* ]] && why="no reason given: $out"
		[[ -z $why ]] && echo "    (no cgroups here: $(grep -m1 'not enforced' "$DAEMON_STATE/daemon.err"))"
		daemon_result "$name" "$why"
		daemon_cleanup
		return
	fi
	if [[ -z $why ]]; then
		out=$(pv_ctl sched-credit --weight 512 --cap 50 s) || why="sched-credit failed: $out"
		dir=${out##* }; dir=${dir%)}
		ver=$(sed -n 's/.*cgroup v\([12]\).*/\1/p' <<<"$out")
		pid=$(domain_process s)   # the guest's process (a jailed one's child)
	fi
	[[ -z $why ]] && ! grep -qx "$pid" "$dir/cgroup.procs" && why="pid $pid is not in $dir"
	if [[ -z $why && $ver == 2 ]]; then
		[[ $(cat "$dir/cpu.weight") != 200 || $(cat "$dir/cpu.max") != "50000 100000" ]] &&
			why="v2: cpu.weight $(cat "$dir/cpu.weight"), cpu.max $(cat "$dir/cpu.max")"
	elif [[ -z $why ]]; then
		[[ $(cat "$dir/cpu.shares") != 2048 || $(cat "$dir/cpu.cfs_quota_us") != 50000 ]] &&
			why="v1: cpu.shares $(cat "$dir/cpu.shares"), quota $(cat "$dir/cpu.cfs_quota_us")"
	fi
	[[ -z $why && ($(domain_field s weight) != 512 || $(domain_field s cap) != 50) ]] &&
		why="list: weight $(domain_field s weight), cap $(domain_field s cap)"
	if [[ -z $why ]]; then
		pv_ctl sched-credit --cap 0 s >/dev/null || why="removing the cap failed"
		[[ -z $why && $ver == 2 && $(cat "$dir/cpu.max") != "max 100000" ]] && why="cap 0: cpu.max $(cat "$dir/cpu.max")"
	fi
	if [[ -z $why ]]; then
		pv_ctl destroy s
		[[ -d $dir ]] && why="$dir outlived the domain"
	fi
	daemon_result "$name" "$why"
	if wanted badinput/sched-credit-bad-weight; then
		expect_error sched-credit-bad-weight 125 "--weight '0'" -- \
			env PVISOR_SOCKET="$DAEMON_SOCK" "$PVSAN" sched-credit --weight 0 s
	fi
	daemon_cleanup
}

# --console-log FILE,max=SIZE keeps FILE and FILE.1, each about SIZE.
run_console_log_bound() {
	local name=run/console-log-bound log=$tmp/bound.log why= a b
	wanted_guest "$name" || return 0
	rm -f "$log" "$log.1"
	timeout 120 "$PVSAN" run --console-log "$log,max=64K" --cmdline 20000 "$B/guest/tests/console/bulk_output.elf" \
		>"$tmp/out" 2>"$tmp/err" || why="exit $?: $(head -c 200 "$tmp/err")"
	a=$(stat -c %s "$log" 2>/dev/null || echo 0)
	b=$(stat -c %s "$log.1" 2>/dev/null || echo 0)
	if [[ -z $why ]]; then
		if ! grep -q "^done 20000" "$log"; then why="the last line is not in $log"
		elif ((b <= 65536 || b > 2 * 65536 || a > 2 * 65536)); then why="sizes $a and $b for a 64K bound"
		elif [[ -s $tmp/out ]]; then why="console output reached stdout"
		fi
	fi
	daemon_result "$name" "$why"
}

# The daemon runs under its own seccomp list; its launcher, which alone
# starts processes, does not; a domain it starts carries only its own
# filters, not the daemon's (docs/confinement.md, "The daemon").
daemon_confined() {
	local name=daemon/confined img=$B/guest/tests/daemon/sleeper.elf why= launcher pid
	wanted "$name" || return 0
	daemon_start || { fail "$name" "daemon did not start"; return; }
	launcher=$(process_child "$daemon_pid")
	grep -q "^Seccomp:[[:space:]]*2$" "/proc/$daemon_pid/status" ||
		why="the daemon is not filtered: $(grep ^Seccomp "/proc/$daemon_pid/status")"
	[[ -z $why && $(cat "/proc/$launcher/comm" 2>/dev/null) != pvisor-launch ]] &&
		why="the daemon's child '$launcher' is not its launcher"
	[[ -z $why ]] && ! grep -q "^Seccomp:[[:space:]]*0$" "/proc/$launcher/status" &&
		why="the launcher is filtered: $(grep ^Seccomp "/proc/$launcher/status")"
	if [[ -z $why && -z $KVM_MISSING ]]; then
		pv_ctl create --name c "$img" >/dev/null || why="create failed"
		[[ -z $why ]] && ! wait_log 1 "up as" && why="the guest did not come up"
		pid=$(domain_process c)
		[[ -z $why ]] && ! grep -q "^Seccomp_filters:[[:space:]]*1$" "/proc/$pid/task/$pid/status" &&
			why="the domain's main thread has not exactly its own filter: $(grep ^Seccomp_filters "/proc/$pid/task/$pid/status")"
	fi
	daemon_result "$name" "$why"
	daemon_cleanup
}

suite_daemon() {
	local saved_trap
	saved_trap=$(trap -p EXIT)
	trap 'daemon_cleanup; rm -rf "$tmp"' EXIT
	daemon_bad_input
	daemon_confined
	daemon_lifecycle
	daemon_isolation
	daemon_pause
	daemon_shutdown
	daemon_console
	daemon_readopt
	daemon_events
	daemon_memory
	daemon_domctl_bad_input
	daemon_sched_credit
	daemon_cycles
	run_console_log_bound
	eval "${saved_trap:-trap - EXIT}"
}
