/* Zero-copy across processes, for the recorder's tests: a parent exports the MMAP buffers of
 * an output node (CREATE_BUFS, EXPBUF) and passes the dma-bufs over a UNIX socket
 * (SCM_RIGHTS) to a child, then closes its own fds; the child imports them into a capture
 * node (DMABUF), maps one, and streams, queueing buffer 0 alternately through its two fds
 * for the same dma-buf (it received buffer 0's dma-buf twice). One dma-buf, two processes,
 * three fd numbers: vb2 sees the same dma-buf each time and never re-attaches.
 * Usage: broker /dev/videoCAP /dev/videoOUT */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r == -1 && errno == EINTR);
	if (r) {
		perror(what);
		exit(1);
	}
}

static void send_fds(int sock, const int *fds, int n)
{
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			   .msg_controllen = CMSG_SPACE(n * sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	if (sendmsg(sock, &m, 0) != 1) {
		perror("sendmsg");
		exit(1);
	}
}

static void recv_fds(int sock, int *fds, int n)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			   .msg_controllen = CMSG_SPACE(n * sizeof(int))};
	struct cmsghdr *c;
	if (recvmsg(sock, &m, 0) != 1 || !(c = CMSG_FIRSTHDR(&m)) ||
	    c->cmsg_type != SCM_RIGHTS) {
		perror("recvmsg");
		exit(1);
	}
	memcpy(fds, CMSG_DATA(c), n * sizeof(int));
}

static unsigned size_of(const char *node, enum v4l2_buf_type type)
{
	struct v4l2_format f = {.type = type};
	int fd = open(node, O_RDWR);
	if (fd < 0) {
		perror(node);
		exit(1);
	}
	xioctl(fd, VIDIOC_G_FMT, &f, "G_FMT");
	close(fd);
	return f.fmt.pix.sizeimage;
}

static void queue(int fd, unsigned index, int dmabuf)
{
	struct v4l2_buffer b = {.index = index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				.memory = V4L2_MEMORY_DMABUF};
	b.m.fd = dmabuf;
	xioctl(fd, VIDIOC_QBUF, &b, "QBUF");
}

static int importer(int sock, const char *cap)
{
	int got[2], again;
	recv_fds(sock, got, 2);
	recv_fds(sock, &again, 1);
	int fd = open(cap, O_RDWR);
	if (fd < 0) {
		perror(cap);
		return 1;
	}
	struct v4l2_requestbuffers rb = {.count = 2, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_DMABUF};
	xioctl(fd, VIDIOC_REQBUFS, &rb, "REQBUFS");
	/* The importer maps a dma-buf too: the exporter's memory, in another process. */
	off_t len = lseek(got[0], 0, SEEK_END);
	char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, got[0], 0);
	if (p == MAP_FAILED) {
		perror("mmap dma-buf");
		return 1;
	}
	queue(fd, 0, got[0]);
	queue(fd, 1, got[1]);
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	xioctl(fd, VIDIOC_STREAMON, &type, "STREAMON");
	int turn = 0;
	for (int i = 0; i < 8; i++) {
		struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					.memory = V4L2_MEMORY_DMABUF};
		xioctl(fd, VIDIOC_DQBUF, &b, "DQBUF");
		if (b.index == 0)
			queue(fd, 0, (turn++ % 2) ? got[0] : again);
		else
			queue(fd, 1, got[1]);
	}
	xioctl(fd, VIDIOC_STREAMOFF, &type, "STREAMOFF");
	rb.count = 0;
	xioctl(fd, VIDIOC_REQBUFS, &rb, "REQBUFS 0");
	munmap(p, len);
	close(got[0]);
	close(got[1]);
	close(again);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s /dev/videoCAP /dev/videoOUT\n", argv[0]);
		return 2;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	pid_t child = fork();
	if (child == 0) {
		close(sv[0]);
		_exit(importer(sv[1], argv[1]));
	}
	close(sv[1]);
	unsigned need = size_of(argv[1], V4L2_BUF_TYPE_VIDEO_CAPTURE);
	int out = open(argv[2], O_RDWR);
	if (out < 0) {
		perror(argv[2]);
		return 1;
	}
	/* Buffers large enough for a capture frame, whatever the output's format. */
	struct v4l2_create_buffers cb = {.count = 2, .memory = V4L2_MEMORY_MMAP};
	cb.format.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	xioctl(out, VIDIOC_G_FMT, &cb.format, "G_FMT out");
	if (cb.format.fmt.pix.sizeimage < need)
		cb.format.fmt.pix.sizeimage = need;
	xioctl(out, VIDIOC_CREATE_BUFS, &cb, "CREATE_BUFS");
	int fds[2];
	for (unsigned i = 0; i < 2; i++) {
		struct v4l2_exportbuffer e = {.type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
					      .index = cb.index + i, .flags = O_CLOEXEC};
		xioctl(out, VIDIOC_EXPBUF, &e, "EXPBUF");
		fds[i] = e.fd;
	}
	send_fds(sv[0], fds, 2);
	send_fds(sv[0], fds, 1);
	/* The exporter lets go: the dma-bufs live on in the socket and the child. */
	close(fds[0]);
	close(fds[1]);
	int status = 1;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
		fprintf(stderr, "importer failed\n");
		return 1;
	}
	struct v4l2_requestbuffers rb = {.count = 0, .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
					 .memory = V4L2_MEMORY_MMAP};
	xioctl(out, VIDIOC_REQBUFS, &rb, "REQBUFS 0 out");
	close(out);
	return WEXITSTATUS(status);
}
