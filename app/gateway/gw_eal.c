/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL start failures named; see gw_eal.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/gateway/gw_eal.h"

/* "--opt VALUE" or "--opt=VALUE": the value, else NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static void add_dev(struct app_gw_eal_facts *f, const char *v)
{
	if (f->n_dev < APP_GW_EAL_MAX_DEV)
		snprintf(f->dev[f->n_dev++].addr, sizeof(f->dev[0].addr), "%.*s",
			 (int)strcspn(v, ","), v);
}

void app_gw_eal_parse_args(int argc, char **argv, struct app_gw_eal_facts *f)
{
	static const char *const dev_opts[] = { "-a", "--allow", "-w", "--pci-whitelist" };
	const char *v;

	snprintf(f->prefix, sizeof(f->prefix), "rte");
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--no-huge") == 0)
			f->no_huge = true;
		else if (strcmp(argv[i], "--in-memory") == 0)
			f->in_memory = true;
		else if ((v = opt_value(argc, argv, &i, "--file-prefix")))
			snprintf(f->prefix, sizeof(f->prefix), "%s", v);
		else
			for (size_t k = 0; k < sizeof(dev_opts) / sizeof(dev_opts[0]); k++)
				if ((v = opt_value(argc, argv, &i, dev_opts[k]))) {
					add_dev(f, v);
					break;
				}
	}
}

void app_gw_eal_parse_meminfo(const char *text, long *total, long *free_pages)
{
	const char *p;

	*total = *free_pages = -1;
	if ((p = strstr(text, "HugePages_Total:")))
		*total = strtol(p + strlen("HugePages_Total:"), NULL, 10);
	if ((p = strstr(text, "HugePages_Free:")))
		*free_pages = strtol(p + strlen("HugePages_Free:"), NULL, 10);
}

static size_t read_text(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return n;
}

/* The hugetlbfs mounts (first one's folder in mnt). */
static bool find_hugetlbfs(char *mnt, size_t len)
{
	char line[512], dev[128], dir[256], type[64];
	FILE *fp = fopen("/proc/mounts", "r");
	bool found = false;

	while (fp && !found && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%127s %255s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "hugetlbfs") == 0) {
			snprintf(mnt, len, "%s", dir);
			found = true;
		}
	if (fp)
		fclose(fp);
	return found;
}

/* Who holds the EAL's lock on PREFIX/config (fcntl, as the EAL takes it). */
static long lock_holder(const char *dir)
{
	char path[300];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd;

	snprintf(path, sizeof(path), "%s/config", dir);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	if (fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
		fl.l_pid = 0;
	close(fd);
	return fl.l_pid;
}

/* The EAL's runtime folder (eal_get_runtime_dir()): /var/run for root,
 * else $XDG_RUNTIME_DIR or /tmp. */
static void runtime_dir(struct app_gw_eal_facts *f)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (f->root || base == NULL)
		base = f->root ? "/var/run" : "/tmp";
	snprintf(f->runtime_dir, sizeof(f->runtime_dir), "%s/dpdk/%s", base, f->prefix);
}

static void pci_driver(struct app_gw_eal_dev *d)
{
	char path[300], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", d->addr);
	d->exists = stat(path, &st) == 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", d->addr);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(d->driver, sizeof(d->driver), "%s",
		 strrchr(link, '/') ? strrchr(link, '/') + 1 : "");
}

void app_gw_eal_facts(int argc, char **argv, struct app_gw_eal_facts *f)
{
	char text[8192], mnt[256];
	int fd;

	memset(f, 0, sizeof(*f));
	app_gw_eal_parse_args(argc, argv, f);
	f->root = geteuid() == 0;
	runtime_dir(f);
	f->lock_pid = f->in_memory ? 0 : lock_holder(f->runtime_dir);
	read_text("/proc/meminfo", text, sizeof(text));
	app_gw_eal_parse_meminfo(text, &f->huge_total, &f->huge_free);
	f->hugetlbfs = find_hugetlbfs(mnt, sizeof(mnt));
	f->huge_access = f->hugetlbfs && access(mnt, W_OK) == 0;
	if ((fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC)) >= 0)
		close(fd);
	f->vfio_access = fd >= 0;
	for (unsigned i = 0; i < f->n_dev; i++)
		pci_driver(&f->dev[i]);
}

/* Drivers DPDK's PCI PMDs take a device from (mlx5 works beside its
 * kernel driver). */
static bool dpdk_driver(const char *drv)
{
	return strcmp(drv, "vfio-pci") == 0 || strcmp(drv, "uio_pci_generic") == 0 ||
	       strcmp(drv, "igb_uio") == 0 || strcmp(drv, "mlx5_core") == 0;
}

static bool dev_cause(const struct app_gw_eal_dev *d, char *buf, size_t len)
{
	if (!d->exists)
		snprintf(buf, len,
			 "likely cause: no PCI device %s on this machine; fix: check the "
			 "address (dpdk-devbind.py --status-dev net)",
			 d->addr);
	else if (!dpdk_driver(d->driver))
		snprintf(buf, len,
			 "likely cause: device %s is bound to %s, not to vfio-pci; fix: "
			 "dpdk-devbind.py -b vfio-pci %s",
			 d->addr, d->driver[0] ? d->driver : "no driver", d->addr);
	else
		return false;
	return true;
}

bool app_gw_pci_cause(const char *devargs, char *buf, size_t len)
{
	struct app_gw_eal_dev d;
	unsigned dom, bus, slot, fn;
	char c;

	memset(&d, 0, sizeof(d));
	snprintf(d.addr, sizeof(d.addr), "%.*s", (int)strcspn(devargs, ","), devargs);
	if (sscanf(d.addr, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &c) != 4 &&
	    sscanf(d.addr, "%x:%x.%x%c", &bus, &slot, &fn, &c) != 3)
		return false; /* a vdev */
	pci_driver(&d);
	return dev_cause(&d, buf, len);
}

static bool cause_devices(const struct app_gw_eal_facts *f, char *buf, size_t len)
{
	for (unsigned i = 0; i < f->n_dev; i++) {
		if (dev_cause(&f->dev[i], buf, len))
			return true;
	}
	return false;
}

static bool cause_hugepages(const struct app_gw_eal_facts *f, char *buf, size_t len)
{
	if (f->no_huge)
		return false;
	if (f->huge_free == 0 || f->huge_total == 0)
		snprintf(buf, len,
			 "likely cause: no free hugepages (HugePages_Total %ld, HugePages_Free %ld "
			 "in /proc/meminfo) and no --no-huge; fix: reserve some (dpdk-hugepages.py "
			 "-p 2M --setup 1G, or vm.nr_hugepages), or --no-huge -m 512 for a lab",
			 f->huge_total, f->huge_free);
	else if (!f->hugetlbfs)
		snprintf(buf, len,
			 "likely cause: no hugetlbfs mounted; fix: mount -t hugetlbfs nodev "
			 "/dev/hugepages (dpdk-hugepages.py --mount)");
	else
		return false;
	return true;
}

const char *app_gw_eal_cause(const struct app_gw_eal_facts *f, int err, char *buf, size_t len)
{
	if (f->lock_pid > 0)
		snprintf(buf, len,
			 "likely cause: runtime folder %s is held by process %ld (another DPDK "
			 "program with --file-prefix %s); fix: stop it, or give this one another "
			 "--file-prefix",
			 f->runtime_dir, f->lock_pid, f->prefix);
	else if (cause_hugepages(f, buf, len) || cause_devices(f, buf, len))
		;
	else if (!f->root && ((f->n_dev && !f->vfio_access) || (!f->no_huge && !f->huge_access)))
		snprintf(buf, len,
			 "likely cause: not root, and no access to %s; fix: run as root (the "
			 "systemd unit does) or give this user /dev/vfio and the hugepage mount",
			 !f->vfio_access ? "/dev/vfio" : "the hugepage mount");
	else
		snprintf(buf, len, "no known cause matched (%s); see the EAL lines above",
			 err ? strerror(err) : "no error code");
	return buf;
}
