# Written by kubelaunch: the node's settings for Kubernetes; $1 is its address.
{ grep -v ' control-plane.kubelaunch.internal$' /etc/hosts; printf '%s control-plane.kubelaunch.internal\n' "$1"; } >/etc/hosts.kubelaunch && cat /etc/hosts.kubelaunch >/etc/hosts && rm -f /etc/hosts.kubelaunch
modprobe br_netfilter 2>/dev/null; modprobe overlay 2>/dev/null
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null
ip route show default | grep -q . || { set -- $(ip -o -4 addr show to "$1"); [ -z "${2:-}" ] || ip route add default dev "$2"; }
true
