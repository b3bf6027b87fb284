// SPDX-License-Identifier: BSD-3-Clause
// One frame from a capture file, read with libpcap (see pcap_file.h).

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dataplane/pcap_file.h"

int pcap_file_read_one(const char *path, unsigned int index, uint8_t *buf, size_t size) {
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned int i = 0;
	pcap_t *p;
	int ret;

	if (access(path, R_OK) != 0)
		return -errno;
	p = pcap_open_offline(path, errbuf);
	if (p == NULL)
		return -EINVAL;
	if (pcap_datalink(p) != DLT_EN10MB) {
		pcap_close(p);
		return -EPROTONOSUPPORT;
	}
	while ((ret = pcap_next_ex(p, &hdr, &data)) == 1 && i < index)
		i++;
	if (ret == 1 && hdr->caplen > size)
		ret = -EMSGSIZE;
	else if (ret == 1 && hdr->caplen == 0)
		ret = -EINVAL;
	else if (ret == 1)
		memcpy(buf, data, hdr->caplen), ret = (int)hdr->caplen;
	else
		ret = ret == PCAP_ERROR_BREAK ? -ENOENT : -EINVAL; // end of file, or truncated
	pcap_close(p);
	return ret;
}
