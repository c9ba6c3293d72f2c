#!/usr/bin/env bash
# Runs a command and lists every destination off this machine it sent traffic to, to check the rule that tests and
# benchmarks talk only to loopback and to test hosts in network namespaces they created themselves.
#
# An nftables table of its own (inet kgr_netaudit_<pid>) watches every interface that is neither loopback nor a veth
# (the uplink, and whatever else exists when it starts): each new TCP connection attempt, UDP flow (DNS queries
# included) and ICMP exchange leaving through one is added to a set with its address, protocol and port, and logged to
# the kernel log with the prefix "kgr-netaudit " (`dmesg -T | grep kgr-netaudit` gives the time of each, to match
# with the command's output). The command runs in a cgroup of its own, so that what it and its children send is told
# apart from the rest of the machine's traffic, which is only counted. Packets that test namespaces route out through
# this one are watched too (forward hook). The table and the cgroup are removed at the end, also on Ctrl-C.
#
# Needs root, nft and cgroup v2 (at /sys/fs/cgroup or /sys/fs/cgroup/unified); it changes no verdict (the chains
# only count). Not part of CI: it adds firewall state to the machine it runs on.
#
# Usage: sudo bash scripts/net_audit.sh COMMAND [ARGS...]
#   e.g. sudo bash scripts/net_audit.sh npm test
# NET_AUDIT_INTERFACES="if1 if2" watches those interfaces instead (e.g. a veth into a namespace of your own, to see
# it report traffic without sending any off the machine).
# Exit status: the command's, or 3 when it passed but sent traffic off the machine.
set -euo pipefail

if (($# == 0)); then
	echo "Usage: sudo bash scripts/net_audit.sh COMMAND [ARGS...]" >&2
	exit 2
fi
if ((EUID != 0)); then
	echo "Cannot audit the network: nftables and cgroups need root: run it with sudo" >&2
	exit 2
fi
command -v nft >/dev/null || {
	echo "Cannot audit the network: 'nft' is not on PATH: install nftables" >&2
	exit 2
}
# cgroup v2: the whole of /sys/fs/cgroup (unified), or /sys/fs/cgroup/unified (hybrid).
cgroup_root=""
for candidate in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	if [[ -f "$candidate/cgroup.procs" && "$(stat -f -c %T "$candidate")" == cgroup2fs ]]; then
		cgroup_root="$candidate"
		break
	fi
done
[[ -n "$cgroup_root" ]] || {
	echo "Cannot audit the network: no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified" >&2
	exit 2
}

name="kgr_netaudit_$$"
table="inet $name"
cgroup="$cgroup_root/$name"
# nft names a cgroup by its path below /sys/fs/cgroup.
cgroup_for_nft="${cgroup#/sys/fs/cgroup/}"
# Interfaces that are not loopback and not a veth (test hosts' veths are created and deleted while it runs).
mapfile -t veths < <(ip -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
if [[ -n "${NET_AUDIT_INTERFACES:-}" ]]; then
	read -ra watched <<<"$NET_AUDIT_INTERFACES"
else
	mapfile -t watched < <(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -vx -e lo "${veths[@]/#/-e}" || true)
fi
if ((${#watched[@]} == 0)); then
	echo "Cannot audit the network: no interface besides loopback and veths to watch (ip -o link show)" >&2
	exit 2
fi
watched_set=$(printf '"%s", ' "${watched[@]}")

cleanup() {
	nft delete table "$table" 2>/dev/null || true
	if [[ -d "$cgroup" ]]; then
		# Whatever the command left running goes back to the root cgroup, so that the cgroup can be removed.
		while read -r pid; do echo "$pid" >"$cgroup_root/cgroup.procs" 2>/dev/null || true; done <"$cgroup/cgroup.procs"
		rmdir "$cgroup" 2>/dev/null || echo "net_audit: could not remove the cgroup $cgroup" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$cgroup"
# One rule set per address family, so that each set has one key type. A flow is logged and added once, when its
# first packet leaves (ct state new); the counters count every packet.
nft -f - <<NFT
table $table {
	set ours4 { type ipv4_addr . inet_proto . inet_service; flags dynamic; size 65535; }
	set ours6 { type ipv6_addr . inet_proto . inet_service; flags dynamic; size 65535; }
	set ours_icmp4 { type ipv4_addr; flags dynamic; size 65535; }
	set ours_icmp6 { type ipv6_addr; flags dynamic; size 65535; }
	set routed4 { type ipv4_addr . inet_proto . inet_service; flags dynamic; size 65535; }
	set routed6 { type ipv6_addr . inet_proto . inet_service; flags dynamic; size 65535; }
	chain output {
		type filter hook output priority 0; policy accept;
		oifname != { $watched_set } return
		socket cgroupv2 level 1 "$cgroup_for_nft" goto ours
		counter comment "others"
	}
	chain ours {
		counter comment "ours"
		ct state new log prefix "kgr-netaudit " flags skuid
		meta nfproto ipv4 meta l4proto { tcp, udp, sctp } ct state new add @ours4 { ip daddr . meta l4proto . th dport }
		meta nfproto ipv6 meta l4proto { tcp, udp, sctp } ct state new add @ours6 { ip6 daddr . meta l4proto . th dport }
		meta l4proto icmp add @ours_icmp4 { ip daddr }
		meta l4proto ipv6-icmp add @ours_icmp6 { ip6 daddr }
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		oifname != { $watched_set } return
		counter comment "routed"
		ct state new log prefix "kgr-netaudit routed "
		meta nfproto ipv4 meta l4proto { tcp, udp, sctp } ct state new add @routed4 { ip daddr . meta l4proto . th dport }
		meta nfproto ipv6 meta l4proto { tcp, udp, sctp } ct state new add @routed6 { ip6 daddr . meta l4proto . th dport }
	}
}
NFT
echo "net_audit: watching ${watched[*]} (not lo, not veths) in nft table $table; the command runs in cgroup $cgroup" >&2

status=0
(
	echo "$BASHPID" >"$cgroup/cgroup.procs"
	exec "$@"
) || status=$?

# Prints the elements of a set, one a line.
elements() {
	nft -j list set "$table" "$1" | node -e '
		const sets = JSON.parse(require("fs").readFileSync(0, "utf8")).nftables.filter((item) => item.set);
		for (const element of sets[0].set.elem ?? []) {
			const value = element.elem?.val ?? element;
			console.log(Array.isArray(value.concat) ? value.concat.join(" ") : String(value));
		}'
}
# Prints the packet count of the rule with this comment.
packets() {
	nft -j list table "$table" | node -e '
		const items = JSON.parse(require("fs").readFileSync(0, "utf8")).nftables;
		const rule = items.find((item) => item.rule?.comment === process.argv[1]).rule;
		console.log(rule.expr.find((part) => part.counter).counter.packets);' "$1"
}
ours=$(packets ours)
found=$( (elements ours4; elements ours6; elements ours_icmp4 | sed 's/$/ icmp/'; elements ours_icmp6 | sed 's/$/ ipv6-icmp/'
	elements routed4 | sed 's/$/ (routed from a namespace)/'; elements routed6 | sed 's/$/ (routed from a namespace)/') |
	sort -u)
echo
echo "=== net_audit: $ours packets left through ${watched[*]} from the command and its children; destinations:"
if [[ -n "$found" ]]; then echo "$found"; else echo "(none)"; fi
echo "=== packets routed out from namespaces: $(packets routed); from other processes on this machine (not audited): $(packets others)"
echo "=== each flow's time is in the kernel log: dmesg -T | grep kgr-netaudit"
if ((status == 0)) && [[ -n "$found" ]]; then status=3; fi
exit "$status"
