/* SPDX-License-Identifier: BSD-3-Clause */
/* Why the EAL did not start (app/gateway/gw_eal.c): the EAL options read,
 * /proc/meminfo read, and each rule of app_gw_eal_cause() on facts set by
 * hand, in the order it tries them. */
#include <string.h>

#include "app/gateway/gw_eal.h"
#include "tests/unit/test.h"

static void test_args(void)
{
	char *argv[] = { "ipsecgw",
			 "--no-huge",
			 "--file-prefix=gw1",
			 "-a",
			 "0000:01:00.0,rxq=2",
			 "--allow=0000:02:00.1",
			 "-l",
			 "0-1",
			 "--",
			 "-a",
			 "0000:09:00.0" };
	struct app_gw_eal_facts f;

	memset(&f, 0, sizeof(f));
	app_gw_eal_parse_args(11, argv, &f);
	CU_ASSERT_TRUE(f.no_huge);
	CU_ASSERT_FALSE(f.in_memory);
	CU_ASSERT_STRING_EQUAL(f.prefix, "gw1");
	CU_ASSERT_EQUAL(f.n_dev, 2); /* none after "--" */
	CU_ASSERT_STRING_EQUAL(f.dev[0].addr, "0000:01:00.0");
	CU_ASSERT_STRING_EQUAL(f.dev[1].addr, "0000:02:00.1");
	memset(&f, 0, sizeof(f));
	app_gw_eal_parse_args(3, (char *[]){ "ipsecgw", "--file-prefix", "gw2" }, &f);
	CU_ASSERT_STRING_EQUAL(f.prefix, "gw2");
	CU_ASSERT_FALSE(f.no_huge);
	memset(&f, 0, sizeof(f));
	app_gw_eal_parse_args(1, (char *[]){ "ipsecgw" }, &f);
	CU_ASSERT_STRING_EQUAL(f.prefix, "rte");
}

static void test_meminfo(void)
{
	long t, fr;

	app_gw_eal_parse_meminfo("MemTotal: 1 kB\nHugePages_Total:      64\nHugePages_Free:       "
				 "12\nHugePages_Rsvd: 0\n",
				 &t, &fr);
	CU_ASSERT_EQUAL(t, 64);
	CU_ASSERT_EQUAL(fr, 12);
	app_gw_eal_parse_meminfo("MemTotal: 1 kB\n", &t, &fr);
	CU_ASSERT_EQUAL(t, -1);
	CU_ASSERT_EQUAL(fr, -1);
}

/* Facts of a machine where everything is in order. */
static void good(struct app_gw_eal_facts *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->prefix, sizeof(f->prefix), "gw");
	snprintf(f->runtime_dir, sizeof(f->runtime_dir), "/var/run/dpdk/gw");
	f->root = f->hugetlbfs = f->huge_access = f->vfio_access = true;
	f->huge_total = f->huge_free = 512;
}

static bool says(const struct app_gw_eal_facts *f, const char *want)
{
	char buf[600];

	app_gw_eal_cause(f, 13, buf, sizeof(buf));
	if (!strstr(buf, want))
		fprintf(stderr, "\nwanted '%s' in '%s'\n", want, buf);
	return strstr(buf, want) != NULL;
}

static void test_causes(void)
{
	struct app_gw_eal_facts f;

	good(&f);
	CU_ASSERT(says(&f, "no known cause matched (Permission denied)"));
	f.lock_pid = 4242;
	CU_ASSERT(says(&f, "runtime folder /var/run/dpdk/gw is held by process 4242"));
	CU_ASSERT(says(&f, "another --file-prefix"));
	good(&f);
	f.huge_free = 0;
	CU_ASSERT(says(&f, "no free hugepages (HugePages_Total 512, HugePages_Free 0"));
	f.no_huge = true; /* then they are not needed */
	CU_ASSERT(says(&f, "no known cause"));
	good(&f);
	f.huge_total = f.huge_free = 0;
	CU_ASSERT(says(&f, "no free hugepages"));
	good(&f);
	f.hugetlbfs = false;
	CU_ASSERT(says(&f, "no hugetlbfs mounted"));
	good(&f);
	f.n_dev = 1;
	snprintf(f.dev[0].addr, sizeof(f.dev[0].addr), "0000:01:00.0");
	f.dev[0].exists = true;
	snprintf(f.dev[0].driver, sizeof(f.dev[0].driver), "ixgbe");
	CU_ASSERT(says(&f, "device 0000:01:00.0 is bound to ixgbe, not to vfio-pci"));
	CU_ASSERT(says(&f, "dpdk-devbind.py -b vfio-pci 0000:01:00.0"));
	f.dev[0].driver[0] = '\0';
	CU_ASSERT(says(&f, "bound to no driver"));
	snprintf(f.dev[0].driver, sizeof(f.dev[0].driver), "vfio-pci");
	CU_ASSERT(says(&f, "no known cause"));
	f.dev[0].exists = false;
	CU_ASSERT(says(&f, "no PCI device 0000:01:00.0"));
	good(&f);
	f.root = false;
	CU_ASSERT(says(&f, "no known cause"));
	f.huge_access = false;
	CU_ASSERT(says(&f, "not root, and no access to the hugepage mount"));
	good(&f);
	f.root = false;
	f.vfio_access = false;
	CU_ASSERT(says(&f, "no known cause")); /* no PCI device asked for */
	f.n_dev = 1;
	f.dev[0].exists = true;
	snprintf(f.dev[0].driver, sizeof(f.dev[0].driver), "vfio-pci");
	CU_ASSERT(says(&f, "not root, and no access to /dev/vfio"));
}

static void test_pci_cause(void)
{
	char buf[300];

	CU_ASSERT_FALSE(app_gw_pci_cause("net_af_packet0,iface=v0", buf, sizeof(buf)));
	CU_ASSERT_FALSE(app_gw_pci_cause("crypto_aesni_mb0", buf, sizeof(buf)));
	CU_ASSERT_TRUE(app_gw_pci_cause("ffff:ee:1f.7,rxq=1", buf, sizeof(buf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "no PCI device ffff:ee:1f.7"));
}

static const struct test_case cases[] = {
	{ "EAL options: --no-huge, --file-prefix, -a/--allow up to --", test_args },
	{ "/proc/meminfo: HugePages_Total and _Free", test_meminfo },
	{ "causes: lock, hugepages, hugetlbfs, device, not root", test_causes },
	{ "a port's PCI devargs: absent device named, vdevs left alone", test_pci_cause },
	{ NULL, NULL },
};
TEST_SUITE(gw_eal, cases)
