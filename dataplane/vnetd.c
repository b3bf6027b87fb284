// SPDX-License-Identifier: BSD-3-Clause
// vnetd: the per-host virtual switch. Loads its configuration, starts EAL, the packet pool, one
// rte_graph per worker lcore and the control socket, applies the initial rules, then serves the
// control socket and worker events on the main lcore until SIGINT or SIGTERM.

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_log.h>

#define DP_LOG_TYPE dp_logtype_dataplane
#include "dataplane/ctl.h"
#include "dataplane/event.h"
#include "dataplane/log.h"
#include "dataplane/port.h"
#include "dataplane/rules.h"
#include "dataplane/stats.h"
#include "dataplane/telemetry.h"
#include "dataplane/drop_ring.h"
#include "dataplane/live_trace.h"
#include "dataplane/trace.h"
#include "dataplane/vnetd_config.h"
#include "dataplane/worker.h"

static atomic_bool quit;

static void on_signal(int sig) {
	RTE_SET_USED(sig);
	atomic_store(&quit, true);
}

static void usage(FILE *f) {
	fprintf(f, "usage: vnetd -c FILE [--check]\n"
		   "  -c, --config FILE  vnetd configuration (JSON, see docs/vnetd-config.md)\n"
		   "      --check        validate the configuration file and its rules, then exit\n"
		   "  -h, --help         this help\n"
		   "Stops cleanly on SIGINT or SIGTERM. Control socket: vnetctl -s SOCKET ...\n");
}

static uint32_t log_level(const char *s) {
	if (strcmp(s, "debug") == 0)
		return RTE_LOG_DEBUG;
	if (strcmp(s, "notice") == 0)
		return RTE_LOG_NOTICE;
	if (strcmp(s, "warning") == 0)
		return RTE_LOG_WARNING;
	if (strcmp(s, "error") == 0)
		return RTE_LOG_ERR;
	return RTE_LOG_INFO;
}

// Every vnet log type (registered by their constructors, "vnet.<module>") at the configured level.
static void logtypes_register(const char *level) {
	rte_log_set_level_pattern("vnet.*", log_level(level));
}

// Workers: the configured lcores, or every EAL lcore but the main one.
static int workers_params(const struct vnetd_config *vc, struct dp_worker_params *wp) {
	unsigned int lcore;

	*wp = (struct dp_worker_params){
		.idle_sleep_max_us = vc->idle_sleep_max_us,
		.idle_polls_before_sleep = vc->idle_polls_before_sleep,
	};
	for (int i = 0; i < vc->n_workers; i++) {
		lcore = vc->workers[i];
		if (lcore == rte_get_main_lcore() || !rte_lcore_is_enabled(lcore)) {
			fprintf(stderr, "vnetd: workers[%d]: lcore %u is not an EAL worker lcore "
					"(check -l in eal_args)\n", i, lcore);
			return -EINVAL;
		}
		wp->lcores[wp->n_workers++] = lcore;
	}
	if (vc->n_workers == 0)
		RTE_LCORE_FOREACH_WORKER(lcore) {
			if (wp->n_workers < DP_WORKERS_MAX)
				wp->lcores[wp->n_workers++] = lcore;
		}
	if (wp->n_workers == 0) {
		fprintf(stderr, "vnetd: no worker lcore: give EAL at least two lcores (-l 0,1)\n");
		return -EINVAL;
	}
	return 0;
}

static int start(struct vnetd_config *vc) {
	struct dp_worker_params wp;
	uint64_t generation;
	char err[1024];
	int ret;

	ret = workers_params(vc, &wp);
	if (ret < 0)
		return ret;
	ret = dp_ports_init(&(struct dp_port_params){
		.n_workers = wp.n_workers, .n_mbufs = vc->mbufs,
		.rx_desc = vc->rx_desc, .tx_desc = vc->tx_desc});
	if (ret < 0)
		return ret;
	ret = dp_workers_init(&wp);
	if (ret < 0) {
		fprintf(stderr, "vnetd: worker set-up failed: %s\n", strerror(-ret));
		return ret;
	}
	dp_stats_methods_register();
	live_trace_methods_register();
	drop_ring_methods_register();
	ret = dp_features_init();
	if (ret < 0) {
		fprintf(stderr, "vnetd: feature start-up failed: %s\n", strerror(-ret));
		return ret;
	}
	ret = dp_workers_graphs_create();
	if (ret < 0) {
		fprintf(stderr, "vnetd: graph creation failed: %s\n", strerror(-ret));
		return ret;
	}
	ret = ctl_listen(vc->socket);
	if (ret < 0) {
		fprintf(stderr, "vnetd: socket: cannot listen on %s: %s\n", vc->socket,
			strerror(-ret));
		return ret;
	}
	// Always publish a first snapshot, empty if there are no rules yet: system ports (the
	// underlay) are polled from the start.
	json_t *empty = json_pack("{sI}", "revision", (json_int_t)0);
	ret = rules_apply(vc->rules != NULL ? vc->rules : empty, &generation, err, sizeof(err));
	json_decref(empty);
	if (ret < 0) {
		fprintf(stderr, "vnetd: rules: %s\n", err);
		return ret;
	}
	ret = dp_workers_start();
	if (ret == 0)
		dp_telemetry_start(); // workers and the first snapshot exist: counters can be read
	return ret;
}

// The control thread's loop. No step waits on another: the socket is served without blocking on
// any client, and answers that wait for the workers (traces) complete from trace_poll().
static void serve(void) {
	int n_traces = 0;

	LOG(NOTICE, "vnetd running");
	while (!atomic_load(&quit)) {
		ctl_poll(n_traces > 0 ? 1 : 20);
		dp_events_drain(4096);
		n_traces = trace_poll();
		n_traces += live_trace_poll();
		dp_periodic_run();
	}
	LOG(NOTICE, "vnetd stopping");
}

static int check_only(const struct vnetd_config *vc) {
	char err[1024];

	if (vc->rules != NULL && rules_validate(vc->rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "vnetd: rules: %s\n", err);
		return 1;
	}
	printf("configuration is valid\n");
	return 0;
}

// Remove EAL's runtime directory of this vnetd (its --file-prefix is ours alone) and what is
// left in it (the telemetry socket, lock files).
static void runtime_dir_remove(const char *dir) {
	struct dirent *e;
	DIR *d = opendir(dir);
	char path[1280];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

// Every veth vNIC holds two sockets and every vhost-user one a socket and its guest's memory
// files: a soft limit of 1,024 descriptors would end a host at a few hundred vNICs. Take what the
// hard limit allows.
static void nofile_raise(void) {
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv) {
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct vnetd_config vc;
	const char *path = NULL;
	bool check = false;
	char err[1024];
	int c, ret;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (vnetd_config_load(path, &vc, err, sizeof(err)) < 0) {
		fprintf(stderr, "vnetd: %s\n", err);
		return 2;
	}
	if (check) {
		ret = check_only(&vc);
		vnetd_config_fini(&vc);
		return ret;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	nofile_raise();
	if (rte_eal_init(vc.eal_argc, vc.eal_argv) < 0) {
		fprintf(stderr, "vnetd: eal_args: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		vnetd_config_fini(&vc);
		return 1;
	}
	logtypes_register(vc.log_level);
	ret = start(&vc);
	if (ret == 0)
		serve();
	// Telemetry first: its thread reads the workers' counters and the snapshot freed below.
	dp_telemetry_stop();
	dp_workers_stop();
	dp_features_fini();
	ctl_close();
	dp_config_free(dp_config_publish_none());
	dp_ports_fini();
	vnetd_config_fini(&vc);
	// EAL creates its runtime directory even in memory; leave nothing behind.
	snprintf(err, sizeof(err), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	runtime_dir_remove(err);
	return ret == 0 ? 0 : 1;
}
