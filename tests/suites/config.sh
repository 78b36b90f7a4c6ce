# tests/suites/config.sh: domain configuration files (docs/config.md),
# sourced by tests/run, which calls suite_config. Every bad file must give
# one error line naming the file and exit 125 before /dev/kvm is opened
# (so these run on any host); good files boot a guest whose result shows
# that the file's values, and the command line's overrides, arrived.
# shellcheck shell=bash disable=SC2154

# config_file NAME TEXT: writes $tmp/config/NAME.json.
config_file() {
	mkdir -p "$tmp/config"
	printf '%s' "$2" >"$tmp/config/$1.json"
}

config_bad_input() {
	local p=$PVSAN c=$tmp/config img=$B/guest/guest/apps/hello.elf
	config_file not-json '{"mem": 64M}'
	config_file truncated '{"mem": "64M",'
	config_file trailing '{"mem": "64M"} {"mem": "32M"}'
	config_file not-object '["--mem", "64M"]'
	config_file unknown-key '{"mem": "64M", "memory": "1G"}'
	config_file flag-type '{"stats": "yes"}'
	config_file list-type '{"disk": {"path": "a.img"}}'
	config_file list-item '{"disk": ["a.img", 7]}'
	config_file scalar-type '{"mem": [64]}'
	config_file nul-byte '{"cmdline": "a\u0000b"}'
	config_file bad-value '{"mem": "lots"}'
	config_file bad-mode '{"mode": "turbo"}'
	config_file bad-disk '{"disk": "a.img,frobnicate"}'
	config_file image-is-option '{"image": "--no-seccomp"}'
	config_file empty ''
	head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$c/huge.json"
	mkdir -p "$c/adir.json"
	expect_error config-missing 125 "config $c/nope.json" -- $p run --config "$c/nope.json" "$img"
	expect_error config-directory 125 "not a regular file" -- $p run --config "$c/adir.json" "$img"
	expect_error config-huge 125 "larger than 1024 KiB" -- $p run --config "$c/huge.json" "$img"
	expect_error config-empty 125 "not valid JSON" -- $p run --config "$c/empty.json" "$img"
	expect_error config-not-json 125 "not valid JSON at byte" -- $p run --config "$c/not-json.json" "$img"
	expect_error config-truncated 125 "ends inside a value" -- $p run --config "$c/truncated.json" "$img"
	expect_error config-trailing 125 "text after the configuration" -- $p run --config "$c/trailing.json" "$img"
	expect_error config-not-object 125 "must be a JSON object" -- $p run --config "$c/not-object.json" "$img"
	expect_error config-unknown-key 125 'unknown key "memory"' -- $p run --config "$c/unknown-key.json" "$img"
	expect_error config-flag-type 125 '"stats" must be true or false' -- $p run --config "$c/flag-type.json" "$img"
	expect_error config-list-type 125 '"disk" must be a string' -- $p run --config "$c/list-type.json" "$img"
	expect_error config-list-item 125 '"disk"[1] must be a string' -- $p run --config "$c/list-item.json" "$img"
	expect_error config-scalar-type 125 '"mem" must be a string' -- $p run --config "$c/scalar-type.json" "$img"
	expect_error config-nul-byte 125 '"cmdline" must be a string (without NUL)' -- $p run --config "$c/nul-byte.json" "$img"
	expect_error config-bad-value 125 "config $c/bad-value.json: --mem 'lots' is not a size" -- $p run --config "$c/bad-value.json" "$img"
	expect_error config-bad-mode 125 "config $c/bad-mode.json: --mode 'turbo'" -- $p run --config "$c/bad-mode.json" "$img"
	expect_error config-bad-disk 125 "config $c/bad-disk.json: --disk" -- $p run --config "$c/bad-disk.json" "$img"
	expect_error config-no-value 125 "'--config' needs a value" -- $p run --config
	# An image named like an option is an image, not an option (found by
	# tests/fuzz/fuzz_config): --check must look for the file, not boot the
	# default guest without the filters.
	expect_error config-image-is-option 125 "cannot open guest image --no-seccomp" -- \
		$p run --check --config "$c/image-is-option.json"
}

# config_boot NAME WANT_STDOUT PVISOR_ARGS...: a run must exit 0 and print
# WANT_STDOUT.
config_boot() {
	local name=config/$1 want=$2 rc
	shift 2
	wanted_guest "$name" || return 0
	timeout --kill-after=5 60 "$PVSAN" run --timeout 50 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [[ $rc -ne 0 ]]; then
		fail "$name" "exit $rc: $(head -n 3 "$tmp/err" | tr '\n' '|')"
	elif ! grep -qF -- "$want" "$tmp/out"; then
		fail "$name" "stdout lacks '$want': $(tail -n 3 "$tmp/out" | tr '\n' '|')"
	elif grep -q 'AddressSanitizer\|runtime error:' "$tmp/err"; then
		fail "$name" "sanitizer report"
	else
		pass "$name"
	fi
}

config_good_files() {
	local args=$B/guest/tests/guest/args.elf c=$tmp/config
	# The args guest passes only with exactly its header's command line.
	config_file args "{\"image\": \"$args\", \"mem\": 48, \"timeout\": \"40\",
		\"cmdline\": \"alpha  beta=2 gamma   delta=x=y\", \"stats\": true}"
	config_boot file-values "PASS args" --config "$c/args.json"
	# The file's command line is wrong; the command line's wins.
	config_file args-wrong "{\"image\": \"$args\", \"cmdline\": \"wrong\"}"
	config_boot command-line-overrides "PASS args" --config "$c/args-wrong.json" \
		--cmdline "alpha  beta=2 gamma   delta=x=y"
	# stats: true in the file reaches the run (pvisor prints its counters).
	if wanted_guest config/stats-flag; then
		timeout --kill-after=5 60 "$PVSAN" run --config "$c/args.json" >/dev/null 2>"$tmp/err" </dev/null
		if grep -q 'pvisor stats:' "$tmp/err"; then pass config/stats-flag
		else fail config/stats-flag "no --stats output: $(head -c 200 "$tmp/err" | tr '\n' '|')"; fi
	fi
}

suite_config() {
	config_bad_input
	config_good_files
}
