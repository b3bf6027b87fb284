// SPDX-License-Identifier: BSD-3-Clause
// TLS for the controller (tls.h): a small CA for tests and small sites (`vnet-controller ca`), and
// the name of the host a connection's verified client certificate belongs to. GnuTLS, the library
// libmicrohttpd's TLS is built on.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "controller/tls.h"

#define CHECK(call, what)                                                                          \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		if (rc_ < 0) {                                                                     \
			snprintf(err, err_size, "%s: %s", what, gnutls_strerror(rc_));             \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

char *tls_read_file(const char *path, size_t *len) {
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len != NULL)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

// Write `data` to `path` (mode `mode`), atomically (a temporary file renamed).
static int write_file(const char *path, const gnutls_datum_t *data, mode_t mode, char *err,
		      size_t err_size) {
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data->data, data->size) != (ssize_t)data->size || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		return -1;
	}
	return 0;
}

static int export_pair(const char *dir, const char *name, gnutls_x509_crt_t crt,
		       gnutls_x509_privkey_t key, char *err, size_t err_size) {
	gnutls_datum_t c = {0}, k = {0};
	char path[4096];
	int ret = -1;

	CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c), "export certificate");
	CHECK(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k), "export key");
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if (write_file(path, &k, 0600, err, err_size) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	if (write_file(path, &c, 0644, err, err_size) < 0)
		goto out;
	ret = 0;
out:
	gnutls_free(c.data);
	gnutls_free(k.data);
	return ret;
}

// A new key and a certificate for it, valid `days` from now, named CN=`name` (not signed yet).
static int new_pair(const char *name, unsigned int days, gnutls_x509_crt_t *crt,
		    gnutls_x509_privkey_t *key, char *err, size_t err_size) {
	uint8_t serial[16];
	time_t now = time(NULL);
	int ret = -1;

	*crt = NULL;
	*key = NULL;
	if (getrandom(serial, sizeof(serial), 0) != (ssize_t)sizeof(serial)) {
		snprintf(err, err_size, "no randomness");
		return -1;
	}
	serial[0] &= 0x7f; // a positive serial
	CHECK(gnutls_x509_privkey_init(key), "key");
	CHECK(gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
					   GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
	      "generate key");
	CHECK(gnutls_x509_crt_init(crt), "certificate");
	CHECK(gnutls_x509_crt_set_version(*crt, 3), "version");
	CHECK(gnutls_x509_crt_set_serial(*crt, serial, sizeof(serial)), "serial");
	CHECK(gnutls_x509_crt_set_activation_time(*crt, now - 300), "not before");
	CHECK(gnutls_x509_crt_set_expiration_time(*crt, now + (time_t)days * 86400), "not after");
	CHECK(gnutls_x509_crt_set_dn_by_oid(*crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
					    (unsigned int)strlen(name)),
	      "common name");
	CHECK(gnutls_x509_crt_set_key(*crt, *key), "public key");
	ret = 0;
out:
	return ret;
}

static int load_ca(const char *dir, gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key, char *err,
		   size_t err_size) {
	char path[4096];
	gnutls_datum_t d;
	size_t n = 0;
	char *text;
	int ret = -1;

	*crt = NULL;
	*key = NULL;
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	text = tls_read_file(path, &n);
	if (text == NULL) {
		snprintf(err, err_size, "%s: %s (run `vnet-controller ca init` first)", path,
			 strerror(errno));
		return -1;
	}
	d.data = (unsigned char *)text;
	d.size = (unsigned int)n;
	CHECK(gnutls_x509_crt_init(crt), "certificate");
	CHECK(gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_PEM), path);
	free(text);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	text = tls_read_file(path, &n);
	if (text == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	d.data = (unsigned char *)text;
	d.size = (unsigned int)n;
	CHECK(gnutls_x509_privkey_init(key), "key");
	CHECK(gnutls_x509_privkey_import(*key, &d, GNUTLS_X509_FMT_PEM), path);
	ret = 0;
out:
	free(text);
	return ret;
}

int tls_ca_init(const char *dir, unsigned int days, char *err, size_t err_size) {
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t key = NULL;
	uint8_t id[64];
	size_t id_len = sizeof(id);
	char path[4096];
	int ret = -1;

	snprintf(path, sizeof(path), "%s/ca.key", dir);
	if (access(path, F_OK) == 0) {
		snprintf(err, err_size, "%s exists: a CA is there already", path);
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_size, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (new_pair("vnet CA", days, &crt, &key, err, err_size) < 0)
		goto out;
	CHECK(gnutls_x509_crt_set_basic_constraints(crt, 1, 0), "basic constraints");
	CHECK(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN),
	      "key usage");
	CHECK(gnutls_x509_crt_get_key_id(crt, 0, id, &id_len), "key id");
	CHECK(gnutls_x509_crt_set_subject_key_id(crt, id, id_len), "subject key id");
	CHECK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), "self-sign");
	ret = export_pair(dir, "ca", crt, key, err, err_size);
out:
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return ret;
}

int tls_ca_issue(const char *dir, const char *name, const char *const *sans, size_t n_sans,
		 unsigned int days, char *err, size_t err_size) {
	gnutls_x509_crt_t ca = NULL, crt = NULL;
	gnutls_x509_privkey_t ca_key = NULL, key = NULL;
	uint8_t id[64];
	size_t id_len = sizeof(id);
	int ret = -1;

	if (name[0] == '\0' || strlen(name) > 63 || strchr(name, '/') != NULL ||
	    strcmp(name, "ca") == 0) {
		snprintf(err, err_size, "'%s': a name of 1..63 characters, no '/', not 'ca'", name);
		return -1;
	}
	if (load_ca(dir, &ca, &ca_key, err, err_size) < 0 ||
	    new_pair(name, days, &crt, &key, err, err_size) < 0)
		goto out;
	CHECK(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), "basic constraints");
	CHECK(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "key usage");
	CHECK(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0), "purpose");
	CHECK(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0), "purpose");
	for (size_t i = 0; i < n_sans; i++) {
		uint8_t a[16];
		if (inet_pton(AF_INET, sans[i], a) == 1)
			CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 4,
								   GNUTLS_FSAN_APPEND),
			      "IP address");
		else if (inet_pton(AF_INET6, sans[i], a) == 1)
			CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 16,
								   GNUTLS_FSAN_APPEND),
			      "IPv6 address");
		else
			CHECK(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, sans[i],
								   (unsigned int)strlen(sans[i]),
								   GNUTLS_FSAN_APPEND),
			      "DNS name");
	}
	CHECK(gnutls_x509_crt_get_key_id(crt, 0, id, &id_len), "key id");
	CHECK(gnutls_x509_crt_set_subject_key_id(crt, id, id_len), "subject key id");
	id_len = sizeof(id);
	CHECK(gnutls_x509_crt_get_subject_key_id(ca, id, &id_len, NULL), "CA key id");
	CHECK(gnutls_x509_crt_set_authority_key_id(crt, id, id_len), "authority key id");
	CHECK(gnutls_x509_crt_sign2(crt, ca, ca_key, GNUTLS_DIG_SHA256, 0), "sign");
	ret = export_pair(dir, name, crt, key, err, err_size);
out:
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(key);
	return ret;
}

int tls_peer_name(void *session, char *out, size_t out_size) {
	gnutls_session_t s = session;
	const gnutls_datum_t *chain;
	unsigned int status = 0, n = 0;
	gnutls_x509_crt_t crt = NULL;
	size_t len = out_size;
	int ret = -1;

	out[0] = '\0';
	if (s == NULL || gnutls_certificate_type_get(s) != GNUTLS_CRT_X509)
		return -1;
	chain = gnutls_certificate_get_peers(s, &n);
	// Verified against the client CA the server trusts (--client-ca), in date, with the TLS
	// client purpose.
	if (chain == NULL || n == 0 || gnutls_certificate_verify_peers2(s, &status) < 0 ||
	    status != 0)
		return -1;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_check_key_purpose(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0) != 0 &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &len) == 0 &&
	    len > 0 && strlen(out) == len)
		ret = 0;
	else
		out[0] = '\0';
	gnutls_x509_crt_deinit(crt);
	return ret;
}
