# tests/suites/console.sh: the virtio console end to end (sourced by
# tests/run): bulk output arrives complete and in order; a closed standard
# output is reported once and a blocked one cannot stop --timeout; an interactive
# guest works in a real terminal (a pseudo-terminal made by script(1)):
# raw mode while it reads, the escape key, the terminal restored after.

console_bulk_output() {  # BINARY LABEL
	local pv=$1 name=console/$2-bulk-output lines=30000 rc
	wanted_guest "$name" || return 0
	timeout 60 "$pv" run --timeout 30 --cmdline "$lines" \
		"$B/guest/tests/console/bulk_output.elf" >"$tmp/bulk.out" 2>"$tmp/bulk.err" </dev/null
	rc=$?
	# Every line, once, in order, with its checksum (see bulk_output.c).
	if [[ $rc -ne 0 ]]; then
		fail "$name" "exit $rc: $(head -c 200 "$tmp/bulk.err")"
	elif ! awk -v n="$lines" '
		/^done / { done = 1; next }
		{
			want = sprintf("line %08d %08x the quick brown fox jumps over the lazy dog",
				       i, (i * 2654435761 + 12345) % 4294967296)
			if ($0 != want) { print "line " i ": " $0; exit 1 }
			i++
		}
		END { if (i != n || !done) { print "got " i " lines"; exit 1 } }' "$tmp/bulk.out" >"$tmp/bulk.why"; then
		fail "$name" "$(head -c 200 "$tmp/bulk.why")"
	else
		pass "$name"
	fi
}

# Output nobody can take: with standard output closed the guest runs to its
# end, and pvisor says so once on stderr (not once per batch).
console_output_closed() {
	local name=console/stdout-closed rc lines
	wanted_guest "$name" || return 0
	timeout 60 "$PVSAN" run --timeout 30 --cmdline 20000 \
		"$B/guest/tests/console/bulk_output.elf" >&- 2>"$tmp/closed.err" </dev/null
	rc=$?
	lines=$(grep -c . "$tmp/closed.err")
	if [[ $rc -ne 0 ]]; then
		fail "$name" "exit $rc: $(head -c 200 "$tmp/closed.err")"
	elif [[ $lines -ne 1 ]] || ! grep -q "standard output is closed" "$tmp/closed.err"; then
		fail "$name" "expected one line about the output, got $lines: $(head -c 300 "$tmp/closed.err")"
	else
		pass "$name"
	fi
}

# Output nobody reads (a FIFO held open, never read): --timeout still ends
# pvisor with its own status, 124, well before the outer kill (137).
console_output_blocked() {
	local name=console/timeout-while-output-blocked fifo=$tmp/blocked.fifo holder rc
	wanted_guest "$name" || return 0
	rm -f "$fifo"
	mkfifo "$fifo"
	sleep 300 <>"$fifo" &
	holder=$!
	timeout -s KILL 90 "$PVSAN" run --timeout 3 --cmdline 100000000 \
		"$B/guest/tests/console/bulk_output.elf" >"$fifo" 2>"$tmp/blocked.err" </dev/null
	rc=$?
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	rm -f "$fifo"
	if [[ $rc -eq 124 ]]; then
		pass "$name"
	else
		fail "$name" "exit $rc, expected 124: $(head -c 300 "$tmp/blocked.err")"
	fi
}

# Runs COMMAND in a pseudo-terminal; types INPUT once READY has appeared in
# its output, then LATER once AFTER has (AFTER empty: at once), and keeps
# the terminal open until COMMAND is done. Each step waits on what the guest
# printed, not on time. The transcript (without \r) goes to $tmp/tty.out.
in_terminal() {  # READY INPUT AFTER LATER COMMAND
	local ready=$1 input=$2 after=$3 later=$4 cmd=$5 raw=$tmp/tty.raw
	: >"$raw"
	{
		wait_for_text "$raw" "$ready" 25
		printf "$input"
		[[ -z $after ]] || wait_for_text "$raw" "$after" 25
		printf "$later"
		wait_for_text "$raw" "exit=" 25
	} | timeout 30 script -qfec "$cmd; echo \"exit=\$?\"; stty -a" /dev/null >"$raw" 2>&1
	tr -d '\r' <"$raw" >"$tmp/tty.out"
}

terminal_restored() {
	grep -qw -- 'icanon' "$tmp/tty.out" && ! grep -qw -- '-icanon' "$tmp/tty.out" &&
		grep -q -- ' echo ' "$tmp/tty.out"
}

console_tty_session() {
	local name=console/tty-session
	wanted_guest "$name" || return 0
	in_terminal 'tty_echo ready' 'hello\r' '' '' "$PVSAN run --timeout 20 $B/guest/tests/console/tty_echo.elf"
	if ! grep -q '^got: HELLO$' "$tmp/tty.out" || ! grep -q '^exit=0$' "$tmp/tty.out"; then
		fail "$name" "$(head -c 300 "$tmp/tty.out" | tr '\n' '|')"
	elif grep -q 'hello' "$tmp/tty.out"; then
		fail "$name" "the terminal echoed the input: it was not in raw mode"
	elif ! terminal_restored; then
		fail "$name" "terminal not restored: $(grep -o -- '-\?icanon\|-\?echo ' "$tmp/tty.out" | tr '\n' ' ')"
	else
		pass "$name"
	fi
}

console_escape_key() {
	local name=console/escape-key
	wanted_guest "$name" || return 0
	in_terminal 'reading' 'ab' 'read ' '\035' "$PVSAN run --timeout 20 $B/guest/tests/console/read_forever.elf"
	if ! grep -q '^exit=130$' "$tmp/tty.out" || ! grep -q 'escape (Ctrl-\]) pressed' "$tmp/tty.out"; then
		fail "$name" "$(head -c 300 "$tmp/tty.out" | tr '\n' '|')"
	elif ! grep -q '^read 2 bytes$' "$tmp/tty.out"; then
		fail "$name" "the bytes before the escape did not reach the guest"
	elif ! terminal_restored; then
		fail "$name" "terminal not restored after the escape"
	else
		pass "$name"
	fi
}

suite_console() {
	console_bulk_output "$PV" plain
	console_bulk_output "$PVSAN" san
	console_output_closed
	console_output_blocked
	if ! command -v script >/dev/null; then
		skip console/tty-session "script(1) (util-linux) is not installed"
		skip console/escape-key "script(1) (util-linux) is not installed"
		return
	fi
	console_tty_session
	console_escape_key
}
