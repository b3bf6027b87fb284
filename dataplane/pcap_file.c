// SPDX-License-Identifier: BSD-3-Clause
// A small reader for classic pcap files (not pcapng): microsecond or nanosecond timestamps, either
// byte order, Ethernet link type only. Used by vnetctl (trace --pcap) and by the tests; plain C,
// no DPDK, no libpcap. Format: IETF draft-ietf-opsawg-pcap ("PCAP Capture File Format").

#include "dataplane/pcap_file.h"

#include <errno.h>
#include <string.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_MAX_RECORD (256u * 1024) // libpcap's MAXIMUM_SNAPLEN; more is a corrupt record

struct pcap_global_hdr {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype; // bits 0-15 link type, upper bits FCS information
};

struct pcap_record_hdr {
	uint32_t ts_sec;
	uint32_t ts_frac; // microseconds or nanoseconds
	uint32_t incl_len;
	uint32_t orig_len;
};

static uint32_t swap32(uint32_t v) {
	return ((v & 0xffu) << 24) | ((v & 0xff00u) << 8) | ((v >> 8) & 0xff00u) | (v >> 24);
}

static uint16_t swap16(uint16_t v) {
	return (uint16_t)((v << 8) | (v >> 8));
}

// Decode the global header into `pf`. Returns 0 or -EINVAL / -EPROTONOSUPPORT.
static int pcap_global_hdr_parse(struct pcap_file *pf, const struct pcap_global_hdr *h) {
	uint16_t major = h->version_major;

	if (h->magic == PCAP_MAGIC_US || h->magic == PCAP_MAGIC_NS) {
		pf->swapped = 0;
	} else if (h->magic == swap32(PCAP_MAGIC_US) || h->magic == swap32(PCAP_MAGIC_NS)) {
		pf->swapped = 1;
		major = swap16(major);
	} else {
		return -EINVAL; // includes pcapng (0x0a0d0d0a)
	}
	if (major != 2)
		return -EINVAL;

	pf->nanosecond = h->magic == PCAP_MAGIC_NS || h->magic == swap32(PCAP_MAGIC_NS);
	pf->snaplen = pf->swapped ? swap32(h->snaplen) : h->snaplen;
	pf->linktype = (pf->swapped ? swap32(h->linktype) : h->linktype) & 0xffffu;
	if (pf->linktype != PCAP_LINKTYPE_ETHERNET)
		return -EPROTONOSUPPORT;
	return 0;
}

int pcap_file_open(struct pcap_file *pf, const char *path) {
	struct pcap_global_hdr h;
	int ret;

	memset(pf, 0, sizeof(*pf));
	pf->f = fopen(path, "rb");
	if (pf->f == NULL)
		return errno ? -errno : -EIO;

	if (fread(&h, sizeof(h), 1, pf->f) != 1) {
		ret = ferror(pf->f) ? -EIO : -EINVAL;
		goto err;
	}
	ret = pcap_global_hdr_parse(pf, &h);
	if (ret < 0)
		goto err;
	return 0;
err:
	pcap_file_close(pf);
	return ret;
}

// Largest captured length accepted for one record.
static uint32_t pcap_file_max_record(const struct pcap_file *pf) {
	return pf->snaplen > PCAP_MAX_RECORD ? pf->snaplen : PCAP_MAX_RECORD;
}

// Read the next record header. Returns 1 and sets *len, 0 at a clean end of file, or -EINVAL /
// -EIO on a truncated or corrupt header.
static int pcap_record_hdr_read(struct pcap_file *pf, uint32_t *len) {
	struct pcap_record_hdr r;
	size_t n;

	n = fread(&r, 1, sizeof(r), pf->f);
	if (n == 0 && feof(pf->f))
		return 0;
	if (n != sizeof(r))
		return ferror(pf->f) ? -EIO : -EINVAL;

	*len = pf->swapped ? swap32(r.incl_len) : r.incl_len;
	if (*len == 0 || *len > pcap_file_max_record(pf) || *len > 64u * 1024 * 1024)
		return -EINVAL;
	return 1;
}

// Skip over the `len` bytes of a record's data. Returns 0 or -EINVAL if the file ends first.
static int pcap_record_skip(struct pcap_file *pf, uint32_t len) {
	if (fseek(pf->f, (long)len, SEEK_CUR) != 0)
		return -EIO;
	// fseek past the end succeeds; check the record really is there.
	if (fseek(pf->f, -1, SEEK_CUR) != 0 || fgetc(pf->f) == EOF)
		return -EINVAL;
	return 0;
}

// A packet longer than `size` returns -EMSGSIZE and is skipped, so the next call reads the
// packet after it.
int pcap_file_next(struct pcap_file *pf, uint8_t *buf, size_t size) {
	uint32_t len;
	int ret;

	if (pf->f == NULL)
		return -EBADF;
	ret = pcap_record_hdr_read(pf, &len);
	if (ret <= 0)
		return ret;
	if (len > size) {
		ret = pcap_record_skip(pf, len);
		return ret < 0 ? ret : -EMSGSIZE;
	}
	if (fread(buf, 1, len, pf->f) != len)
		return ferror(pf->f) ? -EIO : -EINVAL;
	return (int)len;
}

void pcap_file_close(struct pcap_file *pf) {
	if (pf == NULL)
		return;
	if (pf->f != NULL)
		fclose(pf->f);
	memset(pf, 0, sizeof(*pf));
}

int pcap_file_read_one(const char *path, unsigned int index, uint8_t *buf, size_t size) {
	struct pcap_file pf;
	uint32_t len;
	int ret;

	ret = pcap_file_open(&pf, path);
	if (ret < 0)
		return ret;

	for (unsigned int i = 0; i < index; i++) {
		ret = pcap_record_hdr_read(&pf, &len);
		if (ret == 0)
			ret = -ENOENT;
		if (ret < 0)
			goto out;
		ret = pcap_record_skip(&pf, len);
		if (ret < 0)
			goto out;
	}
	ret = pcap_file_next(&pf, buf, size);
	if (ret == 0)
		ret = -ENOENT;
out:
	pcap_file_close(&pf);
	return ret;
}
