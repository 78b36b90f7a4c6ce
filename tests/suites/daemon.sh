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
			kill -9 "$pid" 2>/dev/null
		done
	fi
	if [[ -n $daemon_pid ]]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	daemon_pid=
}

# daemon_start: a daemon (sanitizer build) on a fresh socket and state dir.
daemon_start() {
	daemon_cleanup
	DAEMON_STATE=$(mktemp -d "$tmp/daemon.XXXXXX")
	DAEMON_SOCK=$DAEMON_STATE/control.sock
	"$PVSAN" daemon --socket "$DAEMON_SOCK" --state-dir "$DAEMON_STATE/state" 2>"$DAEMON_STATE/daemon.err" &
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
wait_log() { wait_for_text "$DAEMON_STATE/state/domains/$1.log" "$2" 60; }

# wait_state NAME STATE: `list` shows it (at most 60 s).
wait_state() {
	local i
	for ((i = 0; i < 600; i++)); do
		[[ $(domain_field "$1" state) == "$2" ]] && return 0
		sleep 0.1
	done
	return 1
}

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

suite_daemon() {
	local saved_trap
	saved_trap=$(trap -p EXIT)
	trap 'daemon_cleanup; rm -rf "$tmp"' EXIT
	daemon_bad_input
	daemon_lifecycle
	daemon_isolation
	eval "${saved_trap:-trap - EXIT}"
}
