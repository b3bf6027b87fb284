// SPDX-License-Identifier: BSD-3-Clause
// TLS for the controller (docs/controller.md, "TLS"): a CA for tests and small sites, and who a
// connection's client certificate says it is.
#pragma once

#include <stddef.h>

// `vnet-controller ca init`: a new CA in `dir` (ca.pem, ca.key; ECDSA P-256, `days` long). Refuses
// to replace an existing one. 0 or -1 with `err` set.
int tls_ca_init(const char *dir, unsigned int days, char *err, size_t err_size);

// `vnet-controller ca issue`: NAME.pem and NAME.key in `dir`, CN=`name`, signed by the CA there,
// for TLS servers and clients, with the addresses and DNS names `sans` as subject alt names.
int tls_ca_issue(const char *dir, const char *name, const char *const *sans, size_t n_sans,
		 unsigned int days, char *err, size_t err_size);

// The common name of the client certificate of the TLS session `session` (a gnutls_session_t),
// if it verifies against the server's trusted CA and may be used by a TLS client. 0 or -1.
int tls_peer_name(void *session, char *out, size_t out_size);

// A file's contents (at most 1 MiB), NUL-terminated, or NULL. free() it.
char *tls_read_file(const char *path, size_t *len);
