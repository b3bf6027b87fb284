// SPDX-License-Identifier: BSD-3-Clause
// vnet-cni: a CNI 1.0 plugin (ADD, DEL, CHECK, VERSION) that asks the host's vnet-agent for the
// container's port: the agent makes the port in the controller (the container's id as its
// device_id), vnetd makes the veth in the container's namespace and the agent addresses it.
// docs/agent.md, "CNI".
//
// The network's configuration (stdin):
//   {"cniVersion": "1.0.0", "name": "blue-web", "type": "vnet-cni",
//    "agent": "http://127.0.0.1:9697", "network": "web",
//    "auth": {"user": "alice", "password": "...", "project": "blue"}}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/httpbuf.h"

static const char *const versions = "[\"0.3.0\", \"0.3.1\", \"0.4.0\", \"1.0.0\"]";

// CNI's error form on stdout, exit 1 (codes: 4 invalid configuration, 7 invalid environment
// variables, 11 try again later, 999 the agent's error).
static int cni_error(const char *version, int code, const char *msg, const char *details) {
	json_t *e = json_pack("{sssiss}", "cniVersion", version, "code", code, "msg", msg);

	if (details != NULL)
		json_object_set_new(e, "details", json_string(details));
	json_dumpf(e, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(e);
	return 1;
}

// POST `body` to the agent's `path`; the HTTP status (0: no answer) and the answer.
static long agent_call(const char *agent, const char *path, const json_t *body, json_t **ans) {
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	char url[512], *text = json_dumps(body, JSON_COMPACT);
	struct http_buf b = {0};
	long code = 0;

	*ans = NULL;
	snprintf(url, sizeof(url), "%s%s", agent, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_buf_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (b.p != NULL)
		*ans = json_loads(b.p, 0, NULL);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	free(b.p);
	free(text);
	return code;
}

int main(void) {
	const char *cmd = getenv("CNI_COMMAND"), *cid = getenv("CNI_CONTAINERID");
	const char *netns = getenv("CNI_NETNS"), *ifname = getenv("CNI_IFNAME");
	json_error_t je;
	json_t *conf, *req, *ans = NULL;
	const char *version, *agent, *network;
	long code;

	if (cmd != NULL && strcmp(cmd, "VERSION") == 0) {
		printf("{\"cniVersion\": \"1.0.0\", \"supportedVersions\": %s}\n", versions);
		return 0;
	}
	conf = json_loadf(stdin, 0, &je);
	version = json_string_value(json_object_get(conf, "cniVersion"));
	if (version == NULL)
		version = "1.0.0";
	if (cmd == NULL || cid == NULL || cid[0] == '\0' ||
	    (strcmp(cmd, "DEL") != 0 && (netns == NULL || ifname == NULL)))
		return cni_error(version, 7, "CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS and CNI_IFNAME are needed", NULL);
	agent = json_string_value(json_object_get(conf, "agent"));
	network = json_string_value(json_object_get(conf, "network"));
	if (!json_is_object(conf) || agent == NULL || network == NULL ||
	    !json_is_object(json_object_get(conf, "auth")))
		return cni_error(version, 4, "the network's configuration needs agent, network and auth",
				 conf == NULL ? je.text : NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "ADD") == 0) {
		const json_t *ip;
		json_t *res, *ips = json_array();
		size_t i;
		req = json_pack("{sssssssssO}", "container_id", cid, "netns", netns, "ifname", ifname,
				"network", network, "auth", json_object_get(conf, "auth"));
		code = agent_call(agent, "/v1/cni/add", req, &ans);
		json_decref(req);
		if (code != 200)
			return cni_error(version, code == 0 ? 11 : 999,
					 code == 0 ? "the vnet agent does not answer" : "the vnet agent refused the port",
					 json_string_value(json_object_get(ans, "error")));
		json_array_foreach(json_object_get(ans, "ips"), i, ip) {
			json_t *o = json_pack("{sOsi}", "address", json_object_get(ip, "address"), "interface", 0);
			if (json_object_get(ip, "gateway") != NULL)
				json_object_set(o, "gateway", json_object_get(ip, "gateway"));
			json_array_append_new(ips, o);
		}
		res = json_pack("{ss s[{sssOss}] so}", "cniVersion", version, "interfaces", "name", ifname,
				"mac", json_object_get(ans, "mac"), "sandbox", netns, "ips", ips);
		json_dumpf(res, stdout, JSON_INDENT(1));
		putchar('\n');
		json_decref(res);
	} else if (strcmp(cmd, "DEL") == 0 || strcmp(cmd, "CHECK") == 0) {
		req = json_pack("{sssO}", "container_id", cid, "auth", json_object_get(conf, "auth"));
		code = agent_call(agent, cmd[0] == 'D' ? "/v1/cni/del" : "/v1/cni/check", req, &ans);
		json_decref(req);
		if (code != 200)
			return cni_error(version, code == 0 ? 11 : 999,
					 code == 0 ? "the vnet agent does not answer"
						   : cmd[0] == 'D' ? "the vnet agent could not delete the port"
								   : "the container's port is not in vnetd",
					 json_string_value(json_object_get(ans, "error")));
	} else {
		return cni_error(version, 4, "unknown CNI_COMMAND (ADD, DEL, CHECK, VERSION)", cmd);
	}
	json_decref(ans);
	json_decref(conf);
	return 0;
}
