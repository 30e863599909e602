/* A V4L2 capture program that uses threads, fork and exec, for the recorder's tests:
 * MMAP buffers queued by the main thread, dequeued and queued again by a second thread;
 * then every buffer dequeued, a thread waiting in DQBUF with nothing queued until the main
 * thread queues one (the DQBUF returns after that QBUF, from another thread); one more
 * dequeued by a forked child; then STREAMOFF and an exec of `true` with the video fd still
 * open (it is not close-on-exec). Usage: exercise /dev/videoN
 *
 * `exercise /dev/videoN bad` misbehaves instead: a QBUF with a garbage pointer, a buffer
 * queued and its fd closed before any DQBUF, a DQBUF on the closed fd, then it kills itself
 * mid-stream. */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd;

static int xioctl(unsigned long req, void *arg)
{
	int r;
	do
		r = ioctl(fd, req, arg);
	while (r == -1 && errno == EINTR);
	return r;
}

static unsigned dequeue(const char *who)
{
	struct v4l2_buffer b;
	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_MMAP;
	if (xioctl(VIDIOC_DQBUF, &b)) {
		perror(who);
		exit(1);
	}
	return b.index;
}

static void queue(unsigned index)
{
	struct v4l2_buffer b = {.index = index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				.memory = V4L2_MEMORY_MMAP};
	if (xioctl(VIDIOC_QBUF, &b)) {
		perror("QBUF");
		exit(1);
	}
}

static void cycle(const char *who)
{
	queue(dequeue(who));
}

static void *worker(void *arg)
{
	for (int i = 0; i < 3; i++)
		cycle("thread");
	return arg;
}

static void *waiter(void *arg)
{
	queue(dequeue("waiter"));
	return arg;
}

static int bad(void)
{
	struct v4l2_requestbuffers rb = {.count = 2, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP};
	if (xioctl(VIDIOC_REQBUFS, &rb))
		return 1;
	/* The kernel refuses it (EFAULT); there is nothing to read. */
	ioctl(fd, VIDIOC_QBUF, (void *)1);
	struct v4l2_buffer b = {.index = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				.memory = V4L2_MEMORY_MMAP};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(VIDIOC_QBUF, &b) || xioctl(VIDIOC_STREAMON, &type))
		return 1;
	int again = open("/dev/null", O_RDONLY);
	close(fd);
	/* The same number, now another file: EBADF or ENOTTY, never a video call. */
	dup2(again, fd);
	ioctl(fd, VIDIOC_DQBUF, &b);
	kill(getpid(), SIGKILL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (argc > 2 && !strcmp(argv[2], "bad"))
		return bad();
	struct v4l2_requestbuffers rb = {.count = 4, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP};
	if (xioctl(VIDIOC_REQBUFS, &rb) || rb.count < 2) {
		perror("REQBUFS");
		return 1;
	}
	for (unsigned i = 0; i < rb.count; i++) {
		struct v4l2_buffer b = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					.memory = V4L2_MEMORY_MMAP};
		if (xioctl(VIDIOC_QUERYBUF, &b) || xioctl(VIDIOC_QBUF, &b)) {
			perror("QBUF");
			return 1;
		}
		if (i == 0 && mmap(NULL, b.length, PROT_READ, MAP_SHARED, fd, b.m.offset) == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
	}
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (xioctl(VIDIOC_STREAMON, &type)) {
		perror("STREAMON");
		return 1;
	}
	pthread_t t;
	pthread_create(&t, NULL, worker, NULL);
	pthread_join(t, NULL);
	unsigned held[VIDEO_MAX_FRAME];
	for (unsigned i = 0; i < rb.count; i++)
		held[i] = dequeue("drain");
	pthread_create(&t, NULL, waiter, NULL);
	usleep(300000);
	queue(held[0]);
	pthread_join(t, NULL);
	for (unsigned i = 1; i < rb.count; i++)
		queue(held[i]);
	pid_t child = fork();
	if (child == 0) {
		cycle("child");
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	if (xioctl(VIDIOC_STREAMOFF, &type)) {
		perror("STREAMOFF");
		return 1;
	}
	execl("/bin/true", "true", (char *)NULL);
	perror("exec");
	return 1;
}
