#!/usr/bin/env bash
# tools/deps.sh: makes sure the Debian packages pvisor builds and tests with
# are installed; installs the missing ones when it can (root or sudo), or
# says exactly what to install. Run by `make run`, and by `make test` and
# `make bench` as `tools/deps.sh test`: the suite also boots the guests on
# QEMU's PC (tests/suites/qemu.sh), which needs QEMU even where KVM is, and
# smoke-tests the fuzz harnesses (clang's libFuzzer, tests/suites/fuzz.sh).
set -eu

packages=(gcc make binutils libc6-dev libelf-dev liburing-dev libjson-c-dev libseccomp-dev iproute2 util-linux bsdutils coreutils python3)
# Without KVM the test suite runs in a nested-KVM machine (tests/nested/run).
[[ -c /dev/kvm ]] || packages+=(qemu-system-x86 busybox-static cpio e2fsprogs)
# The suite also boots guests on QEMU and smoke-tests the fuzz harnesses.
[[ ${1:-} == test ]] && packages+=(qemu-system-x86 qemu-system-data clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
((${#missing[@]} == 0)) && exit 0

echo "pvisor: installing missing Debian packages: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
	echo "pvisor: please run: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
