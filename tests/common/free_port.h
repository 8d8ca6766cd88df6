/* free_port.h — a loopback TCP port nobody listens on now, for the test
 * programs that start a server of their own (the benchmarks' driftd child,
 * fuzz_http's in-process server).  Header-only: the benchmarks and the fuzz
 * targets are built in different trees and link no test library in common. */
#ifndef DD_TEST_FREE_PORT_H
#define DD_TEST_FREE_PORT_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Binds 127.0.0.1:0, reads the port back and closes: the port, or -1 when
 * no socket could be bound. */
static inline int test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
             getsockname(fd, (struct sockaddr *)&a, &len) == 0;
    if (fd >= 0)
        close(fd);
    return ok ? ntohs(a.sin_port) : -1;
}

#endif
