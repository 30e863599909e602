/* A 64-bit program that makes some of its V4L2 calls as a 32-bit (i386) program would,
 * through `int $0x80`, for the recorder's tests: REQBUFS from 64-bit code, then i386 QBUFs
 * (struct v4l2_buffer has another layout there) and an i386 STREAMON (the same layout and
 * number as a 64-bit one), then 64-bit DQBUF and STREAMOFF.
 * Exits 77 when the kernel runs no 32-bit code (IA32 emulation off).
 * Usage: compat /dev/videoN */
#include <fcntl.h>
#include <linux/videodev2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The top of a stack below 4 GiB, as a 32-bit program has: kernels before 5.11 build the
 * compat ioctl's 64-bit argument on the user stack (compat_alloc_user_space), which must
 * be reachable through a 32-bit pointer. */
static char *stack_top;

static long sys32(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("mov %%rsp, %%r12\n\t"
			 "mov %5, %%rsp\n\t"
			 "int $0x80\n\t"
			 "mov %%r12, %%rsp"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "r"(stack_top)
			 : "memory", "r8", "r9", "r10", "r11", "r12");
	return ret;
}

/* struct v4l2_buffer of a 32-bit program with a 32-bit time_t: 68 bytes. */
struct buffer32 {
	unsigned index, type, bytesused, flags, field;
	int tv_sec, tv_usec;
	unsigned char timecode[16];
	unsigned sequence, memory, m, length, reserved2;
	int request_fd;
};

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	char *stack = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (stack == MAP_FAILED) {
		perror("mmap stack");
		return 1;
	}
	stack_top = stack + (1 << 16) - 64;
	pid_t probe = fork();
	if (probe == 0)
		_exit(sys32(20 /* getpid */, 0, 0, 0) > 0 ? 0 : 1);
	int st;
	waitpid(probe, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "no 32-bit system calls here\n");
		return 77;
	}
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	struct v4l2_requestbuffers rb = {.count = 2, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP};
	if (ioctl(fd, VIDIOC_REQBUFS, &rb)) {
		perror("REQBUFS");
		return 1;
	}
	/* A 32-bit program's arguments live below 4 GiB. */
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	if (low == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	struct buffer32 *b = (struct buffer32 *)low;
	memset(b, 0, sizeof(*b));
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = V4L2_MEMORY_MMAP;
	unsigned long qbuf32 = _IOWR('V', 15, struct buffer32);
	for (unsigned i = 0; i < 2; i++) {
		b->index = i;
		long r = sys32(54 /* ioctl */, fd, (long)qbuf32, (long)(unsigned long)low);
		if (r) {
			fprintf(stderr, "i386 QBUF: %ld\n", r);
			return 1;
		}
	}
	int *type = (int *)(low + 512);
	*type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	long r = sys32(54, fd, (long)VIDIOC_STREAMON, (long)(unsigned long)type);
	if (r) {
		fprintf(stderr, "i386 STREAMON: %ld\n", r);
		return 1;
	}
	struct v4l2_buffer d = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
	if (ioctl(fd, VIDIOC_DQBUF, &d)) {
		perror("DQBUF");
		return 1;
	}
	int t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (ioctl(fd, VIDIOC_STREAMOFF, &t)) {
		perror("STREAMOFF");
		return 1;
	}
	close(fd);
	return 0;
}
