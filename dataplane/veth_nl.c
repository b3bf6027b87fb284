// SPDX-License-Identifier: BSD-3-Clause
// veth plumbing (veth_nl.h). Control thread only.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE // setns
#endif
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "dataplane/veth_nl.h"

static int ioctl_fd(void) {
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int veth_ifindex(const char *ifname) {
	unsigned int i = if_nametoindex(ifname);

	return i != 0 ? (int)i : -errno;
}

// ---- ethtool features -------------------------------------------------------------------------

// Offloads a switch port must not have: the kernel would hand vnetd frames to finish (partial
// checksums, GSO super-frames) or merge them (GRO).
static bool feature_unwanted(const char *n) {
	size_t l = strlen(n);

	return strncmp(n, "tx-checksum-", 12) == 0 || strcmp(n, "tx-generic-segmentation") == 0 ||
	       strcmp(n, "tx-gso-list") == 0 || strcmp(n, "tx-gso-partial") == 0 ||
	       strncmp(n, "rx-gro", 6) == 0 || strcmp(n, "rx-lro") == 0 ||
	       strcmp(n, "rx-udp-gro-forwarding") == 0 ||
	       (strncmp(n, "tx-", 3) == 0 && l > 13 && strcmp(n + l - 13, "-segmentation") == 0);
}

static int ethtool(int fd, const char *ifname, void *data) {
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

static int offloads_off(int fd, const char *ifname) {
	union { // the header and the one count it asks for
		struct ethtool_sset_info hdr;
		uint8_t bytes[sizeof(struct ethtool_sset_info) + sizeof(uint32_t)];
	} sset = {.hdr = {.cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES}};
	struct ethtool_gstrings *names = NULL;
	struct ethtool_gfeatures *gf = NULL;
	struct ethtool_sfeatures *sf = NULL;
	uint32_t n, blocks;
	int ret, changed = 0;

	ret = ethtool(fd, ifname, &sset);
	if (ret < 0 || sset.hdr.sset_mask == 0)
		return ret < 0 ? ret : -EOPNOTSUPP;
	n = sset.hdr.data[0];
	blocks = (n + 31) / 32;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	gf = calloc(1, sizeof(*gf) + blocks * sizeof(gf->features[0]));
	sf = calloc(1, sizeof(*sf) + blocks * sizeof(sf->features[0]));
	if (names == NULL || gf == NULL || sf == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	*names = (struct ethtool_gstrings){.cmd = ETHTOOL_GSTRINGS, .string_set = ETH_SS_FEATURES,
					   .len = n};
	*gf = (struct ethtool_gfeatures){.cmd = ETHTOOL_GFEATURES, .size = blocks};
	*sf = (struct ethtool_sfeatures){.cmd = ETHTOOL_SFEATURES, .size = blocks};
	if ((ret = ethtool(fd, ifname, names)) < 0 || (ret = ethtool(fd, ifname, gf)) < 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		char name[ETH_GSTRING_LEN + 1] = {0};
		uint32_t bit = 1u << (i % 32), b = i / 32;

		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		if (!feature_unwanted(name) || !(gf->features[b].active & bit) ||
		    !(gf->features[b].available & bit))
			continue; // wanted, off already, or fixed
		sf->features[b].valid |= bit;
		changed++;
	}
	ret = changed > 0 ? ethtool(fd, ifname, sf) : 0;
	if (ret == 0)
		ret = changed;
out:
	free(names);
	free(gf);
	free(sf);
	return ret;
}

int veth_offloads_off(const char *ifname) {
	int fd = ioctl_fd(), ret;

	if (fd < 0)
		return -errno;
	ret = offloads_off(fd, ifname);
	close(fd);
	return ret;
}

// ---- links --------------------------------------------------------------------------------------

static int link_up(struct nl_sock *sk, const char *ifname) {
	struct rtnl_link *orig = NULL, *chg;
	int ret = rtnl_link_get_kernel(sk, 0, ifname, &orig);

	if (ret < 0)
		return -ENODEV;
	chg = rtnl_link_alloc();
	if (chg == NULL) {
		rtnl_link_put(orig);
		return -ENOMEM;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	ret = rtnl_link_change(sk, orig, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return ret < 0 ? -EIO : 0;
}

// In the namespace `nsfd` (this thread only, then back): offloads off on the peer. It stays down:
// bringing it up is for whoever configures the container (addresses, routes, IPv6), so that it
// sends nothing before it is ready.
static int peer_finish(int nsfd, const char *peer, char *err, size_t err_size) {
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), ret = 0, fd;

	if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		ret = -errno;
		snprintf(err, err_size, "cannot enter the container's namespace: %s", strerror(errno));
		if (self >= 0)
			close(self);
		return ret;
	}
	fd = ioctl_fd();
	if (fd >= 0) {
		ret = offloads_off(fd, peer);
		close(fd);
	}
	if (ret < 0)
		snprintf(err, err_size, "offloads of %s: %s", peer, strerror(-ret));
	if (setns(self, CLONE_NEWNET) < 0) // cannot fail back to a namespace we were in
		abort();
	close(self);
	return ret < 0 ? ret : 0;
}

int veth_create(const char *host, const char *peer, const char *netns,
		const struct rte_ether_addr *mac, uint16_t mtu, char *err, size_t err_size) {
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL, *p;
	struct nl_addr *addr = NULL;
	int nsfd = -1, ret;

	if (sk == NULL || nl_connect(sk, NETLINK_ROUTE) < 0) {
		snprintf(err, err_size, "netlink: cannot connect");
		ret = -EIO;
		goto out;
	}
	nsfd = open(netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		ret = -errno;
		snprintf(err, err_size, "namespace %s: %s", netns, strerror(errno));
		goto out;
	}
	link = rtnl_link_veth_alloc();
	if (link == NULL) {
		ret = -ENOMEM;
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	p = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, host);
	rtnl_link_set_name(p, peer);
	if (mtu != 0) {
		rtnl_link_set_mtu(link, mtu);
		rtnl_link_set_mtu(p, mtu);
	}
	// The MAC is part of the request: the peer never exists with another one. It is born in the
	// container's namespace (IFLA_NET_NS_FD of the peer).
	addr = nl_addr_build(AF_LLC, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	rtnl_link_set_addr(p, addr);
	rtnl_link_set_ns_fd(p, nsfd);
	ret = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(p);
	if (ret < 0) {
		snprintf(err, err_size, "creating veth %s/%s: %s", host, peer, nl_geterror(ret));
		ret = ret == -NLE_EXIST ? -EEXIST : -EIO;
		goto out;
	}
	// vnetd's end carries no address of the host: no IPv6 link-local, router solicitations, MLD.
	{
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", host);
		if ((f = fopen(path, "w")) != NULL) {
			fputs("1", f);
			fclose(f);
		}
	}
	ret = veth_offloads_off(host);
	if (ret < 0) {
		snprintf(err, err_size, "offloads of %s: %s", host, strerror(-ret));
		goto fail;
	}
	ret = peer_finish(nsfd, peer, err, err_size);
	if (ret < 0)
		goto fail;
	ret = link_up(sk, host);
	if (ret < 0) {
		snprintf(err, err_size, "cannot bring %s up", host);
		goto fail;
	}
	goto out;
fail:
	veth_delete(host);
out:
	if (addr != NULL)
		nl_addr_put(addr);
	if (link != NULL)
		rtnl_link_veth_release(link);
	if (nsfd >= 0)
		close(nsfd);
	if (sk != NULL)
		nl_socket_free(sk);
	return ret < 0 ? ret : 0;
}

int veth_is_veth(const char *ifname) {
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *l = NULL;
	int ret = -ENOMEM;

	if (sk != NULL && nl_connect(sk, NETLINK_ROUTE) == 0) {
		if (rtnl_link_get_kernel(sk, 0, ifname, &l) < 0) {
			ret = -ENODEV;
		} else {
			const char *type = rtnl_link_get_type(l);
			ret = type != NULL && strcmp(type, "veth") == 0;
			rtnl_link_put(l);
		}
	}
	if (sk != NULL)
		nl_socket_free(sk);
	return ret;
}

int veth_delete(const char *host) {
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *l = rtnl_link_alloc();
	int ret = -ENOMEM;

	if (sk != NULL && l != NULL && nl_connect(sk, NETLINK_ROUTE) == 0) {
		rtnl_link_set_name(l, host);
		ret = rtnl_link_delete(sk, l) < 0 ? -EIO : 0;
	}
	if (l != NULL)
		rtnl_link_put(l);
	if (sk != NULL)
		nl_socket_free(sk);
	return ret;
}

// One socket for the link queries of every port (the control thread asks each port's link every
// 250 ms: a socket per query made 8,000 system calls a second at 1,024 vNICs). Opened in vnetd's
// namespace on first use and kept.
static int query_fd(void) {
	static int fd = -1;

	if (fd < 0)
		fd = ioctl_fd();
	return fd;
}

int veth_link_up(const char *ifname) {
	struct ifreq ifr = {0};
	int fd = query_fd();

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	return (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

uint16_t veth_mtu(const char *ifname) {
	struct ifreq ifr = {0};
	int fd = query_fd();

	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	return ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? (uint16_t)ifr.ifr_mtu : 0;
}
