// SPDX-License-Identifier: GPL-2.0
/*
 * ckdt_test: the in-guest checks of the arm64 devicetree test
 * (ARCH=arm64 selftests/qemu/run.sh).  Built static for arm64 and run by the
 * guest's guest-dt.sh once chipkey.ko has bound to the devicetree node.
 *
 * Expected values come from the host, in files under DIR (argv[1]):
 *   chip_id.hex   chip ID of the fuse image, 32 hex digits
 *   rom_key.der   manufacturer public key put into the fuse image
 *   host.pkg      backup package made on the host by ckpkg.py for this chip
 *   host.plain    its data package;  host.gen: its generation (decimal)
 *   other.pkg     a package that claims another chip's ID
 *   guest.plain   data package to wrap here;  guest.gen: generation to use
 *
 * Prints "ok - NAME" / "not ok - NAME" / "# ..." lines (run.sh numbers
 * them), and one "pkg-hex: ..." line with the package wrapped from
 * guest.plain, which the host opens with its own implementation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/chipkey.h>

#define PKG_MAGIC	"CKBACKUP"
#define OFF_CHIP_ID	16
#define OFF_GENERATION	32
#define UNPRIV_UID	65534

static int failures;
static const char *dir;

static void result(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", pass ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		failures++;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Read DIR/name whole; exits on error (the harness set these up). */
static unsigned char *slurp(const char *name, size_t *len)
{
	char path[256];
	unsigned char *buf;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st)) {
		diag("cannot open %s: %s", path, strerror(errno));
		result(0, "read expected value %s", name);
		exit(1);
	}
	buf = malloc(st.st_size + 1);
	if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		result(0, "read expected value %s", name);
		exit(1);
	}
	fclose(f);
	buf[st.st_size] = 0;
	*len = st.st_size;
	return buf;
}

static unsigned long long read_gen(const char *name)
{
	size_t len;
	unsigned char *s = slurp(name, &len);
	unsigned long long v = strtoull((char *)s, NULL, 10);

	free(s);
	return v;
}

static void hex(char *out, const unsigned char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static unsigned long long get_be64(const unsigned char *p)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * One WRAP or UNWRAP of @in into @out; returns 0 or errno.  @out_len: room
 * in, length out; @gen: the generation to wrap with (WRAP), or the one the
 * package held (UNWRAP).
 */
static int xfer(int fd, unsigned long cmd, const unsigned char *in,
		size_t len, unsigned long long *gen, unsigned char *out,
		unsigned int *out_len)
{
	struct chipkey_xfer x;

	memset(&x, 0, sizeof(x));
	x.in_ptr = (unsigned long)in;
	x.in_len = len;
	x.out_ptr = (unsigned long)out;
	x.out_len = *out_len;
	if (cmd == CHIPKEY_IOC_WRAP)
		x.generation = *gen;
	if (ioctl(fd, cmd, &x))
		return errno;
	*out_len = x.out_len;
	*gen = x.generation;
	return 0;
}

static int unwrap(int fd, const unsigned char *pkg, size_t len,
		  unsigned char *out, unsigned int *out_len,
		  unsigned long long *gen)
{
	return xfer(fd, CHIPKEY_IOC_UNWRAP, pkg, len, gen, out, out_len);
}

static int wrap(int fd, const unsigned char *in, size_t len,
		unsigned long long gen, unsigned char *out,
		unsigned int *out_len)
{
	return xfer(fd, CHIPKEY_IOC_WRAP, in, len, &gen, out, out_len);
}

static void test_info(int fd, size_t rom_len, const char *want_id)
{
	struct chipkey_info info;
	char id[2 * CHIPKEY_CHIP_ID_LEN + 1];
	int zero = 1;
	size_t i;

	memset(&info, 0xa5, sizeof(info));
	if (ioctl(fd, CHIPKEY_IOC_INFO, &info)) {
		diag("INFO: %s", strerror(errno));
		result(0, "INFO ioctl");
		return;
	}
	result(1, "INFO ioctl");
	result(info.abi_version == CHIPKEY_ABI_VERSION,
	       "INFO abi_version == %d (got %u)", CHIPKEY_ABI_VERSION,
	       info.abi_version);
	result(info.key_source == CHIPKEY_SRC_OTP,
	       "INFO key_source == CHIPKEY_SRC_OTP (got %u)", info.key_source);
	hex(id, info.chip_id, sizeof(info.chip_id));
	result(!strcmp(id, want_id), "INFO chip_id == fuse image chip ID (%s)",
	       id);
	result(info.max_payload == CHIPKEY_MAX_PAYLOAD &&
	       info.max_package == CHIPKEY_MAX_PACKAGE &&
	       info.pkg_overhead == CHIPKEY_PKG_OVERHEAD,
	       "INFO limits (max_payload %u, max_package %u, overhead %u)",
	       info.max_payload, info.max_package, info.pkg_overhead);
	result(info.rom_key_len == rom_len,
	       "INFO rom_key_len == DER length %zu (got %u)", rom_len,
	       info.rom_key_len);
	for (i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]); i++)
		zero &= info.reserved[i] == 0;
	result(info.flags == 0 && zero, "INFO flags and reserved are zero");
}

static void test_rom_key(int fd, const unsigned char *rom, size_t rom_len)
{
	unsigned char buf[CHIPKEY_MAX_ROM_KEY];
	struct chipkey_rom_key rk;
	int rc;

	memset(&rk, 0, sizeof(rk));
	memset(buf, 0, sizeof(buf));
	rk.buf_ptr = (unsigned long)buf;
	rk.buf_len = sizeof(buf);
	rc = ioctl(fd, CHIPKEY_IOC_ROM_KEY, &rk);
	if (rc)
		diag("ROM_KEY: %s", strerror(errno));
	result(!rc && rk.buf_len == rom_len && !memcmp(buf, rom, rom_len),
	       "ROM_KEY returns the DER SubjectPublicKeyInfo of the fuse image");

	memset(&rk, 0, sizeof(rk));
	rk.buf_ptr = (unsigned long)buf;
	rk.buf_len = rom_len - 1;
	rc = ioctl(fd, CHIPKEY_IOC_ROM_KEY, &rk);
	result(rc == -1 && errno == ENOSPC && rk.buf_len == rom_len,
	       "ROM_KEY with a short buffer: ENOSPC and the needed length");
}

/* Wrap, unwrap, tamper; prints the wrapped guest.plain for the host. */
static void test_wrap(int fd, const unsigned char *chip_id)
{
	static unsigned char pkg[CHIPKEY_MAX_PACKAGE], out[CHIPKEY_MAX_PAYLOAD];
	static char pkg_hex[2 * CHIPKEY_MAX_PACKAGE + 1];
	unsigned long long want_gen = read_gen("guest.gen"), gen = 0;
	unsigned int pkg_len = sizeof(pkg), out_len;
	size_t plain_len;
	unsigned char *plain = slurp("guest.plain", &plain_len);
	static const struct {
		const char *what;
		size_t off;
		int from_end;
	} flips[] = {
		{ "a header byte (generation)", OFF_GENERATION + 7, 0 },
		{ "a ciphertext byte", CHIPKEY_PKG_HEADER_LEN, 0 },
		{ "a tag byte", 1, 1 },
	};
	size_t i;
	int rc;

	rc = wrap(fd, plain, plain_len, want_gen, pkg, &pkg_len);
	if (rc)
		diag("WRAP: %s", strerror(rc));
	result(!rc && pkg_len == plain_len + CHIPKEY_PKG_OVERHEAD,
	       "WRAP %zu bytes gives a %zu-byte package", plain_len,
	       plain_len + CHIPKEY_PKG_OVERHEAD);
	if (rc)
		return;
	result(!memcmp(pkg, PKG_MAGIC, 8) &&
	       !memcmp(pkg + OFF_CHIP_ID, chip_id, CHIPKEY_CHIP_ID_LEN) &&
	       get_be64(pkg + OFF_GENERATION) == want_gen,
	       "package header: backup code, this chip's ID, generation %llu",
	       want_gen);
	hex(pkg_hex, pkg, pkg_len);
	printf("pkg-hex: %s\n", pkg_hex);
	fflush(stdout);

	out_len = sizeof(out);
	rc = unwrap(fd, pkg, pkg_len, out, &out_len, &gen);
	if (rc)
		diag("UNWRAP: %s", strerror(rc));
	result(!rc && out_len == plain_len && !memcmp(out, plain, plain_len) &&
	       gen == want_gen,
	       "UNWRAP of its own package gives the data and generation back");

	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		size_t off = flips[i].from_end ? pkg_len - flips[i].off :
			flips[i].off;

		pkg[off] ^= 0x01;
		out_len = sizeof(out);
		rc = unwrap(fd, pkg, pkg_len, out, &out_len, &gen);
		pkg[off] ^= 0x01;
		result(rc == EBADMSG, "flipped %s (offset %zu): EBADMSG (got %s)",
		       flips[i].what, off, rc ? strerror(rc) : "success");
	}
	free(plain);
}

static void test_host_packages(int fd)
{
	static unsigned char out[CHIPKEY_MAX_PAYLOAD];
	unsigned long long want_gen = read_gen("host.gen"), gen = 0;
	size_t pkg_len, plain_len, other_len;
	unsigned char *pkg = slurp("host.pkg", &pkg_len);
	unsigned char *plain = slurp("host.plain", &plain_len);
	unsigned char *other = slurp("other.pkg", &other_len);
	unsigned int out_len = sizeof(out);
	int rc;

	rc = unwrap(fd, pkg, pkg_len, out, &out_len, &gen);
	if (rc)
		diag("UNWRAP host package: %s", strerror(rc));
	result(!rc && out_len == plain_len && !memcmp(out, plain, plain_len) &&
	       gen == want_gen,
	       "UNWRAP of a package made on the host by python3-cryptography");

	out_len = sizeof(out);
	rc = unwrap(fd, other, other_len, out, &out_len, &gen);
	result(rc == ENOKEY, "package of another chip: ENOKEY (got %s)",
	       rc ? strerror(rc) : "success");
	free(pkg);
	free(plain);
	free(other);
}

/* In a child as an unprivileged user: INFO works, WRAP is refused. */
static void test_unprivileged(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct chipkey_info info;
		unsigned char in[16] = { 0 }, out[256];
		unsigned int out_len = sizeof(out);
		int fd, ok_info, rc;

		if (setgid(UNPRIV_UID) || setuid(UNPRIV_UID))
			_exit(10);
		fd = open("/dev/chipkey", O_RDWR);
		if (fd < 0)
			fd = open("/dev/chipkey", O_RDONLY);
		if (fd < 0)
			_exit(11);
		ok_info = !ioctl(fd, CHIPKEY_IOC_INFO, &info);
		rc = wrap(fd, in, sizeof(in), 1, out, &out_len);
		_exit((ok_info ? 0 : 1) | (rc == EPERM ? 0 : 2));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		result(0, "uid %d: INFO allowed, WRAP refused with EPERM",
		       UNPRIV_UID);
		return;
	}
	if (WEXITSTATUS(status))
		diag("unprivileged child exit status %d", WEXITSTATUS(status));
	result(WEXITSTATUS(status) == 0,
	       "uid %d: INFO allowed, WRAP refused with EPERM", UNPRIV_UID);
}

int main(int argc, char **argv)
{
	unsigned char chip_id[CHIPKEY_CHIP_ID_LEN];
	size_t rom_len, id_len;
	unsigned char *rom, *id_hex;
	unsigned int i, b;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	rom = slurp("rom_key.der", &rom_len);
	id_hex = slurp("chip_id.hex", &id_len);
	while (id_len && (id_hex[id_len - 1] == '\n'))
		id_hex[--id_len] = 0;
	if (id_len != 2 * CHIPKEY_CHIP_ID_LEN) {
		result(0, "read expected chip ID");
		return 1;
	}
	for (i = 0; i < CHIPKEY_CHIP_ID_LEN; i++) {
		if (sscanf((char *)id_hex + 2 * i, "%2x", &b) != 1) {
			result(0, "read expected chip ID");
			return 1;
		}
		chip_id[i] = b;
	}

	fd = open("/dev/chipkey", O_RDWR);
	if (fd < 0)
		diag("open /dev/chipkey: %s", strerror(errno));
	result(fd >= 0, "open /dev/chipkey");
	if (fd < 0)
		return 1;
	test_info(fd, rom_len, (char *)id_hex);
	test_rom_key(fd, rom, rom_len);
	test_wrap(fd, chip_id);
	test_host_packages(fd);
	close(fd);
	test_unprivileged();
	free(rom);
	free(id_hex);
	/* Failures were reported above; the status says "ran to the end". */
	diag("ckdt_test: %d failure(s)", failures);
	return 0;
}
