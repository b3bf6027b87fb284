// SPDX-License-Identifier: BSD-3-Clause
// vnet-controller: the tenants' API (OpenStack Identity v3 tokens and Networking v2.0) over
// libmicrohttpd (HTTPS, with the hosts' client certificates), on a SQLite or etcd store; the CA
// commands. docs/controller.md.

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <microhttpd.h>

#include "controller/api.h"
#include "controller/tls.h"

#define BODY_MAX (1u << 20) // a request body, bytes (larger: 413)
// A host's request body: a migrating port's connections (conntrack.export: up to 65,536 of
// about 450 bytes each).
#define HOST_BODY_MAX (32u << 20)

static const char usage[] =
	"usage: vnet-controller serve --db STORE [--listen ADDR:PORT] [--url URL] [--token-ttl S]\n"
	"                             [--vhost-dir DIR] [--poll-max S]\n"
	"                             [--tls-cert FILE --tls-key FILE [--client-ca FILE]]\n"
	"                             [--config FILE] [--quiet]\n"
	"       vnet-controller user add --db STORE NAME --project P --role admin|member|reader\n"
	"       vnet-controller user hash\n"
	"                (the password: the first line of standard input)\n"
	"       vnet-controller ca init --dir DIR [--days N]\n"
	"       vnet-controller ca issue --dir DIR NAME [--san ADDRESS|DNSNAME]... [--days N]\n"
	"\n"
	"STORE: a SQLite file (the default backend), or etcd:URL[,URL...] (the etcd v3 members' client\n"
	"  URLs, tried in turn; several controllers may share them).\n"
	"serve: the OpenStack Identity v3 token service (POST /v3/auth/tokens) and the Networking\n"
	"  v2.0 API (/v2.0/networks) on ADDR:PORT (default 127.0.0.1:9696). HTTPS with --tls-cert\n"
	"  and --tls-key (PEM); without them plain HTTP, on a loopback address only (a demo).\n"
	"  --client-ca: the CA of the hosts' certificates: an agent presenting one (CN = its host's\n"
	"  name) uses the agents' API of that host only, without a token. --url: the address clients\n"
	"  use, put in the token's catalog (default http(s)://ADDR:PORT). --token-ttl: a token's life\n"
	"  in seconds (default 3600). --vhost-dir: where VM ports' vhost-user sockets are, in the\n"
	"  hosts' rules (default /run/vnet/vhost). --poll-max: how long a host's GET of its rules\n"
	"  waits for a new revision (default 30 s). Hosts (the agents' API: a host certificate or an\n"
	"  admin token): POST /vnet/v1/hosts {name, vtep}; GET /vnet/v1/hosts/NAME/rules[?since=REV];\n"
	"  POST .../status. GET /metrics: Prometheus text (requests, latency, hosts alive,\n"
	"  revisions behind).\n"
	"  --config: a JSON file with the same settings (db, listen, url, token_ttl, poll_max,\n"
	"  vhost_dir, tls_cert, tls_key, client_ca) and users [{name, project, role,\n"
	"  password_hash}]; the command line overrides it (docs/controller.md). A JSON line a\n"
	"  request goes to standard error (--quiet: none).\n"
	"user add: create or replace a user of project P with a role; the password is stored hashed\n"
	"  (yescrypt). user hash: print a password's hash, for the config file's users.\n"
	"ca init: a new CA in DIR (ca.pem, ca.key; ECDSA P-256; default 3650 days), for tests and\n"
	"  small sites. ca issue: DIR/NAME.pem and DIR/NAME.key signed by it, CN=NAME (a host's\n"
	"  name, or the controller's), for TLS servers and clients, --san: its addresses and DNS\n"
	"  names (default 825 days).\n";

struct request {
	char *body;
	size_t len;
	bool too_big;
	struct timespec t0;
};

static struct ctrl ctl;
static bool use_tls;
static volatile sig_atomic_t stop;

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value) {
	json_t *q = cls, *list;

	(void)kind;
	if (key == NULL)
		return MHD_YES;
	list = json_object_get(q, key);
	if (list == NULL) {
		list = json_array();
		json_object_set_new(q, key, list);
	}
	json_array_append_new(list, json_string(value != NULL ? value : ""));
	return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *conn, const struct api_reply *r) {
	char *text = r->body != NULL ? json_dumps(r->body, JSON_COMPACT) : NULL;
	struct MHD_Response *resp =
		text != NULL ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
			     : MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	if (text != NULL)
		MHD_add_response_header(resp, "Content-Type", "application/json");
	if (r->subject_token[0] != '\0')
		MHD_add_response_header(resp, "X-Subject-Token", r->subject_token);
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

// One JSON line a request on standard error (the journal): time, method, path (never the query or
// a token), status, milliseconds, who (user@project or host:NAME). --quiet: none.
static bool quiet;

static void log_request(const char *method, const char *url, const struct api_reply *r,
			struct timespec t0) {
	struct timespec t1;
	char ts[64];
	json_t *line;
	char *text;

	if (quiet)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 now.tv_nsec / 1000000);
	}
	line = json_pack("{sssssssssssisf}", "time", ts, "level", r->status >= 500 ? "error" : "info",
			 "method", method, "path", url, "who", r->who, "status", (int)r->status, "ms",
			 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	text = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	if (text != NULL)
		fprintf(stderr, "%s\n", text);
	free(text);
	json_decref(line);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls) {
	struct request *rq = *con_cls;
	struct api_reply r;
	json_t *query;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (rq == NULL) {
		rq = calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rq->t0);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t max = strncmp(url, "/vnet/v1/hosts/", 15) == 0 ? HOST_BODY_MAX : BODY_MAX;
		if (rq->len + *upload_size > max) {
			rq->too_big = true;
		} else {
			char *b = realloc(rq->body, rq->len + *upload_size + 1);
			if (b == NULL)
				return MHD_NO;
			memcpy(b + rq->len, upload, *upload_size);
			rq->len += *upload_size;
			b[rq->len] = '\0';
			rq->body = b;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&r, 0, sizeof(r));
	if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
		char *text = api_metrics(&ctl);
		struct MHD_Response *resp = text != NULL
			? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
			: NULL;
		if (resp == NULL)
			return MHD_NO;
		MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
		ret = MHD_queue_response(conn, 200, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (rq->too_big) {
		r.status = 413;
		r.body = json_pack("{s{ssss}}", "NeutronError", "type", "HTTPRequestEntityTooLarge",
				   "message", strncmp(url, "/vnet/v1/hosts/", 15) == 0
					   ? "Request body larger than 32 MiB"
					   : "Request body larger than 1 MiB");
	} else {
		query = json_object();
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, query);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		const union MHD_ConnectionInfo *ci =
			use_tls ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION)
				: NULL;
		char peer[64];
		bool have_peer = ci != NULL && tls_peer_name(ci->tls_session, peer, sizeof(peer)) == 0;
		api_handle(&ctl, method, url, query,
			   MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Auth-Token"), rq->body,
			   have_peer ? peer : NULL, &r);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		__atomic_add_fetch(&ctl.latency_us,
				   (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000),
				   __ATOMIC_RELAXED);
		json_decref(query);
	}
	if (r.status >= 200 && r.status < 600)
		__atomic_add_fetch(&ctl.requests[r.status / 100], 1, __ATOMIC_RELAXED);
	log_request(method, url, &r, rq->t0);
	ret = reply(conn, &r);
	json_decref(r.body);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe) {
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq != NULL) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static void on_signal(int sig) {
	(void)sig;
	stop = 1;
}

// The config file's "users": [{name, project, role, password_hash}], the hash as `vnet-controller
// user hash` prints it (yescrypt). 0 or -1 (said on stderr).
static int config_users_check(const char *path, const json_t *users) {
	const json_t *u;
	size_t i;

	if (!json_is_array(users)) {
		fprintf(stderr, "vnet-controller serve: %s: users: an array is expected\n", path);
		return -1;
	}
	json_array_foreach(users, i, u) {
		const char *name = json_string_value(json_object_get(u, "name"));
		const char *project = json_string_value(json_object_get(u, "project"));
		const char *role = json_string_value(json_object_get(u, "role"));
		const char *hash = json_string_value(json_object_get(u, "password_hash"));
		if (!json_is_object(u) || json_object_size(u) != 4 || name == NULL || name[0] == '\0' ||
		    project == NULL || project[0] == '\0' || role == NULL ||
		    (strcmp(role, "admin") != 0 && strcmp(role, "member") != 0 &&
		     strcmp(role, "reader") != 0) ||
		    hash == NULL || strncmp(hash, "$y$", 3) != 0) {
			fprintf(stderr, "vnet-controller serve: %s: users[%zu]: {name, project, role "
					"(admin, member or reader), password_hash (yescrypt, from "
					"`vnet-controller user hash`)} is expected\n", path, i);
			return -1;
		}
	}
	return 0;
}

static int serve(int argc, char **argv) {
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},        {"listen", required_argument, NULL, 'l'},
		{"url", required_argument, NULL, 'u'},       {"token-ttl", required_argument, NULL, 't'},
		{"vhost-dir", required_argument, NULL, 'v'}, {"poll-max", required_argument, NULL, 'p'},
		{"tls-cert", required_argument, NULL, 'C'}, {"tls-key", required_argument, NULL, 'K'},
		{"client-ca", required_argument, NULL, 'A'}, {"config", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'}, {NULL, 0, NULL, 0},
	};
	static json_t *conf; // the config file's values live as long as the process
	const char *db = NULL, *listen = "127.0.0.1:9696", *url = NULL;
	const char *cert_file = NULL, *key_file = NULL, *ca_file = NULL;
	char *cert = NULL, *key = NULL, *ca = NULL;
	struct MHD_OptionItem tls_opts[4] = {{MHD_OPTION_END, 0, NULL}};
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char host[64], err[256];
	struct MHD_Daemon *d;
	int c, port;

	ctl.token_ttl_s = 3600;
	ctl.poll_max_s = 30;
	snprintf(ctl.vhost_dir, sizeof(ctl.vhost_dir), "/run/vnet/vhost");
	// --config first, whatever its place: the command line overrides the file.
	for (int i = 1; i < argc; i++) {
		const char *path = strcmp(argv[i], "--config") == 0 && i + 1 < argc ? argv[i + 1]
				   : strncmp(argv[i], "--config=", 9) == 0   ? argv[i] + 9
									     : NULL;
		const char *k;
		json_t *v;
		json_error_t je;
		if (path == NULL)
			continue;
		conf = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(conf)) {
			fprintf(stderr, "vnet-controller serve: %s:%d: %s\n", path, je.line,
				conf == NULL ? je.text : "a JSON object is expected");
			return 2;
		}
		json_object_foreach(conf, k, v) {
			static const char *const strs[] = {"db", "listen", "url", "vhost_dir",
							   "tls_cert", "tls_key", "client_ca"};
			bool known = false;
			for (size_t n = 0; n < sizeof(strs) / sizeof(strs[0]); n++)
				if (strcmp(k, strs[n]) == 0) {
					known = true;
					if (!json_is_string(v) || json_string_length(v) == 0) {
						fprintf(stderr, "vnet-controller serve: %s: %s: a "
								"string is expected\n", path, k);
						return 2;
					}
				}
			if (strcmp(k, "token_ttl") == 0 || strcmp(k, "poll_max") == 0) {
				known = true;
				if (!json_is_integer(v) || json_integer_value(v) < 1 ||
				    json_integer_value(v) > 86400 * 365) {
					fprintf(stderr, "vnet-controller serve: %s: %s: seconds "
							"(1..31536000) are expected\n", path, k);
					return 2;
				}
			}
			if (strcmp(k, "users") == 0) {
				known = true;
				if (config_users_check(path, v) < 0)
					return 2;
			}
			if (!known) {
				fprintf(stderr, "vnet-controller serve: %s: unknown key '%s' (db, listen, "
						"url, token_ttl, poll_max, vhost_dir, tls_cert, tls_key, "
						"client_ca, users)\n", path, k);
				return 2;
			}
		}
		db = json_string_value(json_object_get(conf, "db"));
		if (json_object_get(conf, "listen") != NULL)
			listen = json_string_value(json_object_get(conf, "listen"));
		url = json_string_value(json_object_get(conf, "url"));
		if (json_object_get(conf, "vhost_dir") != NULL)
			snprintf(ctl.vhost_dir, sizeof(ctl.vhost_dir), "%s",
				 json_string_value(json_object_get(conf, "vhost_dir")));
		if (json_object_get(conf, "token_ttl") != NULL)
			ctl.token_ttl_s = (uint32_t)json_integer_value(json_object_get(conf, "token_ttl"));
		if (json_object_get(conf, "poll_max") != NULL)
			ctl.poll_max_s = (uint32_t)json_integer_value(json_object_get(conf, "poll_max"));
		cert_file = json_string_value(json_object_get(conf, "tls_cert"));
		key_file = json_string_value(json_object_get(conf, "tls_key"));
		ca_file = json_string_value(json_object_get(conf, "client_ca"));
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 'u': url = optarg; break;
		case 't': ctl.token_ttl_s = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'v': snprintf(ctl.vhost_dir, sizeof(ctl.vhost_dir), "%s", optarg); break;
		case 'p': ctl.poll_max_s = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'C': cert_file = optarg; break;
		case 'K': key_file = optarg; break;
		case 'A': ca_file = optarg; break;
		case 'f': break; // read above
		case 'q': quiet = true; break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (db == NULL || sscanf(listen, "%63[^:]:%d", host, &port) != 2 || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1 || ctl.token_ttl_s == 0) {
		fprintf(stderr, "vnet-controller serve: --db FILE and --listen IPV4:PORT are needed "
				"(--token-ttl > 0)\n%s", usage);
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	if ((cert_file == NULL) != (key_file == NULL) || (ca_file != NULL && cert_file == NULL)) {
		fprintf(stderr, "vnet-controller serve: --tls-cert and --tls-key go together "
				"(--client-ca needs them)\n");
		return 2;
	}
	use_tls = cert_file != NULL;
	if (!use_tls && (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "vnet-controller serve: plain HTTP on %s: only on a loopback address "
				"(a demo); give --tls-cert and --tls-key\n", listen);
		return 2;
	}
	if (use_tls) {
		int k = 0;
		cert = tls_read_file(cert_file, NULL);
		key = tls_read_file(key_file, NULL);
		ca = ca_file != NULL ? tls_read_file(ca_file, NULL) : NULL;
		if (cert == NULL || key == NULL || (ca_file != NULL && ca == NULL)) {
			fprintf(stderr, "vnet-controller serve: cannot read %s: %s\n",
				cert == NULL ? cert_file : key == NULL ? key_file : ca_file,
				strerror(errno));
			free(cert);
			free(key);
			free(ca);
			return 1;
		}
		flags |= MHD_USE_TLS;
		tls_opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cert};
		tls_opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, key};
		if (ca != NULL) // clients are asked for a certificate; tls_peer_name verifies it
			tls_opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, ca};
		tls_opts[k] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	}
	snprintf(ctl.url, sizeof(ctl.url), "%s", url != NULL ? url : "");
	if (url == NULL)
		snprintf(ctl.url, sizeof(ctl.url), "%s://%s:%d", use_tls ? "https" : "http", host,
			 port);
	ctl.st = store_open(db, err, sizeof(err));
	if (ctl.st == NULL) {
		fprintf(stderr, "vnet-controller: store: %s\n", err);
		return 1;
	}
	{ // the config file's users, into the store
		json_t *u;
		size_t i;
		json_array_foreach(json_object_get(conf, "users"), i, u)
			if (store_user_put(ctl.st, json_string_value(json_object_get(u, "name")),
					   json_string_value(json_object_get(u, "password_hash")),
					   json_string_value(json_object_get(u, "project")),
					   json_string_value(json_object_get(u, "role"))) < 0) {
				fprintf(stderr, "vnet-controller: the store refused user %s\n",
					json_string_value(json_object_get(u, "name")));
				store_close(ctl.st);
				return 1;
			}
	}
	// A thread per connection: a host's GET of its rules waits (long poll) without holding up
	// the others. SQLite's connection is serialised (its threading mode), each call a
	// transaction.
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR,
			     &sa, MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT, 4000u,
			     MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "vnet-controller: cannot listen on %s%s: %s\n", listen,
			use_tls ? " with TLS (check the certificate and key)" : "", strerror(errno));
		store_close(ctl.st);
		free(cert);
		free(key);
		free(ca);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "vnet-controller: serving %s (store %s)\n", ctl.url, db);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	store_close(ctl.st);
	free(cert);
	free(key);
	free(ca);
	return 0;
}

static int ca_cmd(int argc, char **argv) {
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'}, {"days", required_argument, NULL, 'n'},
		{"san", required_argument, NULL, 's'}, {NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *sans[16];
	bool init = strcmp(argv[0], "init") == 0;
	unsigned int days = init ? 3650 : 825;
	size_t n_sans = 0;
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': days = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 's':
			if (n_sans == sizeof(sans) / sizeof(sans[0])) {
				fprintf(stderr, "vnet-controller ca: at most 16 --san\n");
				return 2;
			}
			sans[n_sans++] = optarg;
			break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (dir == NULL || days == 0 || days > 36500 || optind != argc - (init ? 0 : 1) ||
	    (init && n_sans > 0)) {
		fprintf(stderr, "vnet-controller ca %s: --dir DIR%s are needed (--days 1..36500)\n",
			argv[0], init ? "" : " and NAME");
		return 2;
	}
	if (init ? tls_ca_init(dir, days, err, sizeof(err))
		 : tls_ca_issue(dir, argv[optind], sans, n_sans, days, err, sizeof(err))) {
		fprintf(stderr, "vnet-controller ca %s: %s\n", argv[0], err);
		return 1;
	}
	printf("%s/%s.pem\n", dir, init ? "ca" : argv[optind]);
	return 0;
}

static int user_add(int argc, char **argv) {
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'}, {"project", required_argument, NULL, 'p'},
		{"role", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *project = NULL, *role = NULL;
	char password[256], err[256], *hash;
	struct store *st;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'p': project = optarg; break;
		case 'r': role = optarg; break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (db == NULL || project == NULL || role == NULL || optind != argc - 1 ||
	    (strcmp(role, "admin") != 0 && strcmp(role, "member") != 0 &&
	     strcmp(role, "reader") != 0)) {
		fprintf(stderr, "vnet-controller user add: --db, NAME, --project and --role "
				"(admin, member or reader) are needed\n");
		return 2;
	}
	if (fgets(password, sizeof(password), stdin) == NULL || password[0] == '\n') {
		fprintf(stderr, "vnet-controller user add: no password on standard input\n");
		return 2;
	}
	password[strcspn(password, "\n")] = '\0';
	hash = api_password_hash(password);
	st = store_open(db, err, sizeof(err));
	if (hash == NULL || st == NULL) {
		fprintf(stderr, "vnet-controller user add: %s\n", st == NULL ? err : "cannot hash");
		free(hash);
		store_close(st);
		return 1;
	}
	ret = store_user_put(st, argv[optind], hash, project, role);
	free(hash);
	store_close(st);
	if (ret < 0) {
		fprintf(stderr, "vnet-controller user add: the store refused it\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 1, argv + 1);
	if (argc >= 3 && strcmp(argv[1], "user") == 0 && strcmp(argv[2], "add") == 0)
		return user_add(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "user") == 0 && strcmp(argv[2], "hash") == 0) {
		char password[256], *hash;
		if (fgets(password, sizeof(password), stdin) == NULL || password[0] == '\n') {
			fprintf(stderr, "vnet-controller user hash: no password on standard input\n");
			return 2;
		}
		password[strcspn(password, "\n")] = '\0';
		hash = api_password_hash(password);
		if (hash == NULL) {
			fprintf(stderr, "vnet-controller user hash: cannot hash\n");
			return 1;
		}
		printf("%s\n", hash);
		free(hash);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "ca") == 0 &&
	    (strcmp(argv[2], "init") == 0 || strcmp(argv[2], "issue") == 0))
		return ca_cmd(argc - 2, argv + 2);
	fputs(usage, stderr);
	return 2;
}
