/* SPDX-License-Identifier: BSD-3-Clause */
/* Why rte_eal_init failed, in one line an operator can act on: DPDK says
 * "Permission denied" for missing hugepages and "Success" for a runtime
 * folder another process holds. The facts are gathered after the failure
 * (app_gw_eal_facts()); app_gw_eal_cause() only reasons on them, so each
 * rule is unit-tested. */
#ifndef APP_GW_EAL_H
#define APP_GW_EAL_H

#include <stdbool.h>
#include <stddef.h>

#define APP_GW_EAL_MAX_DEV 8

struct app_gw_eal_facts {
	/* From the EAL options. */
	bool no_huge, in_memory;
	char prefix[64]; /* --file-prefix, default "rte" */
	unsigned n_dev;  /* -a / --allow / -w PCI addresses */
	struct app_gw_eal_dev {
		char addr[32];
		bool exists;     /* /sys/bus/pci/devices/ADDR */
		char driver[32]; /* its kernel driver, "" = none */
	} dev[APP_GW_EAL_MAX_DEV];
	/* From the system. */
	bool root;
	char runtime_dir[256];      /* /var/run/dpdk/PREFIX (root) */
	long lock_pid;              /* > 0: the process holding its lock */
	long huge_total, huge_free; /* /proc/meminfo, -1 unknown */
	bool hugetlbfs;             /* a hugetlbfs is mounted */
	bool huge_access;           /* we may write in it */
	bool vfio_access;           /* /dev/vfio/vfio opens read-write */
};

/* The EAL's own options (argv up to "--"). */
void app_gw_eal_parse_args(int argc, char **argv, struct app_gw_eal_facts *f);
/* HugePages_Total and HugePages_Free of a /proc/meminfo text; -1 if absent. */
void app_gw_eal_parse_meminfo(const char *text, long *total, long *free_pages);
/* The arguments, then the system (meminfo, mounts, the prefix's lock). */
void app_gw_eal_facts(int argc, char **argv, struct app_gw_eal_facts *f);
/* "likely cause: ...; fix: ..." for the EAL error err (rte_errno); a
 * generic line when no rule matches. Returns buf. */
const char *app_gw_eal_cause(const struct app_gw_eal_facts *f, int err, char *buf, size_t len);

/* A port's devargs naming a PCI device that is absent or bound to a
 * kernel driver: "likely cause: ..." in buf and true; false otherwise
 * (a vdev, or a device DPDK can take). */
bool app_gw_pci_cause(const char *devargs, char *buf, size_t len);

#endif
