# tests/net/netns.sh: bash helpers for tests that give a guest a TAP device
# inside a throw-away network namespace. Source it; nothing runs on load.
#
#   reason=$(net_available) || skip NAME "$reason"
#   trap net_teardown EXIT
#   net_setup ns                        # ns=pvt-<pid>-1, lo up
#   net_start_guest pid "$ns" pvtap0 10.0.2.1/24 -- build/pvisor run --net tap=pvtap0 img
#   net_exec "$ns" some-client 10.0.2.15
#   net_teardown                        # kills what net_start* started, deletes the namespaces
#
# pvisor creates the TAP itself (it disappears when pvisor exits); these
# helpers only give it a namespace and configure the host end once it
# exists. Call net_setup and net_start* in the main shell, not in $(...):
# they record what to clean up in shell variables. Names start with
# pvt-<pid of the main shell>-, so concurrent runs never collide and
# net_remove_stale can find what a killed run left behind.

NET_NS_PREFIX="pvt-$$-"
NET_NAMESPACES=()       # created by net_setup
NET_PIDS=()             # started by net_start
NET_SERIAL=0

# Prints why network tests cannot run here and fails, or succeeds silently.
net_available() {
	local probe="${NET_NS_PREFIX}probe"
	if ! command -v ip >/dev/null 2>&1; then
		echo "needs iproute2 (the ip command)"; return 1
	fi
	if ! net_has_cap_net_admin; then
		echo "needs root or CAP_NET_ADMIN"; return 1
	fi
	if [[ ! -c /dev/net/tun ]]; then
		echo "/dev/net/tun is missing (load the tun module)"; return 1
	fi
	if ! ip netns add "$probe" 2>/dev/null; then
		echo "cannot create a network namespace ('ip netns add' failed)"; return 1
	fi
	ip netns delete "$probe" 2>/dev/null || true
	return 0
}

# CAP_NET_ADMIN is bit 12 of the effective capability set.
net_has_cap_net_admin() {
	local caps
	caps=$(awk '/^CapEff:/ { print $2 }' /proc/self/status 2>/dev/null)
	[[ -n $caps ]] && (( (16#$caps >> 12) & 1 ))
}

# net_setup VAR: creates a fresh namespace with lo up and stores its name
# in VAR. (Functions that take a VAR name prefix their locals with _net_,
# so that VAR can be any name the caller likes.)
net_setup() {
	local _net_ns="${NET_NS_PREFIX}$((++NET_SERIAL))"
	ip netns add "$_net_ns" || return 1
	NET_NAMESPACES+=("$_net_ns")
	ip -n "$_net_ns" link set lo up || return 1
	printf -v "$1" '%s' "$_net_ns"
}

# net_exec NS CMD...: runs CMD inside namespace NS and waits for it.
net_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# net_start VAR NS CMD...: starts CMD inside NS in the background (stdin
# from /dev/null) and stores its pid in VAR. `ip netns exec` execs CMD,
# so the pid is CMD's own.
net_start() {
	local _net_var=$1 _net_ns=$2
	shift 2
	ip netns exec "$_net_ns" "$@" </dev/null &
	NET_PIDS+=("$!")
	printf -v "$_net_var" '%s' "$!"
}

# net_wait_link NS DEV SECONDS [PID]: waits until DEV exists in NS. Fails
# after SECONDS, or as soon as PID (the process that creates DEV) exits.
net_wait_link() {
	local ns=$1 dev=$2 seconds=$3 pid=${4:-} tries
	tries=$(awk -v s="$seconds" 'BEGIN { printf "%d", s * 20 }')
	for ((; tries > 0; tries--)); do
		ip -n "$ns" link show dev "$dev" >/dev/null 2>&1 && return 0
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			echo "the process creating $dev exited before it appeared" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "$dev did not appear in $ns within $seconds s" >&2
	return 1
}

# net_configure_host_end NS DEV ADDR/PREFIX: the host side of the TAP:
# an address and the link up.
net_configure_host_end() {
	local ns=$1 dev=$2 cidr=$3
	ip -n "$ns" addr add "$cidr" dev "$dev" && ip -n "$ns" link set "$dev" up
}

# net_start_guest VAR NS TAP ADDR/PREFIX -- CMD...: starts CMD (pvisor with
# --net tap=TAP) inside NS, waits up to NET_LINK_TIMEOUT (10) seconds for
# it to create TAP, then gives the host end ADDR/PREFIX and brings it up.
# The pid goes to VAR; fails with a reason on stderr.
net_start_guest() {
	local _net_var=$1 _net_ns=$2 _net_tap=$3 _net_cidr=$4 _net_pid
	shift 4
	[[ ${1:-} == -- ]] && shift
	net_start _net_pid "$_net_ns" "$@"
	printf -v "$_net_var" '%s' "$_net_pid"
	net_wait_link "$_net_ns" "$_net_tap" "${NET_LINK_TIMEOUT:-10}" "$_net_pid" &&
		net_configure_host_end "$_net_ns" "$_net_tap" "$_net_cidr"
}

# net_link_is_up NS DEV: the interface is administratively up.
net_link_is_up() {
	ip -n "$1" -o link show dev "$2" 2>/dev/null | grep -q '<[^>]*\bUP\b'
}

# net_stop PID: ends one process started by net_start (TERM, then KILL
# after 2 s) and reaps it. Returns its exit status.
net_stop() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# Ends every process started here and anything still running in our
# namespaces (children of those processes), then deletes the namespaces,
# which destroys their TAP and veth devices. Safe to call twice and from
# an EXIT trap.
net_teardown() {
	local pid ns
	for pid in "${NET_PIDS[@]}"; do
		net_stop "$pid" || true
	done
	NET_PIDS=()
	for ns in "${NET_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null || true
	done
	NET_NAMESPACES=()
}

# Deletes pvt-PID-* namespaces whose PID is gone: what a run killed before
# its teardown left behind.
net_remove_stale() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep '^pvt-[0-9]*-'); do
		pid=${ns#pvt-}
		pid=${pid%%-*}
		if ! kill -0 "$pid" 2>/dev/null && [[ -z $(ip netns pids "$ns" 2>/dev/null) ]]; then
			ip netns delete "$ns" 2>/dev/null || true
		fi
	done
}

# Our namespaces that still exist (for leak checks).
net_leftovers() {
	ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^${NET_NS_PREFIX}" || true
}
