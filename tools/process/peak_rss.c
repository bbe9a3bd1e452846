/* noi-peak-rss PROGRAM [ARG...]: runs PROGRAM and ends with its exit status, writing its peak
 * resident memory as the last line of stderr: "noi-peak-rss: N KiB". noi-bench's tablet figure
 * measures noi-client through it: wait4's ru_maxrss also counts the memory of the process the
 * child was forked from, which here is this small program rather than noi-bench. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: noi-peak-rss PROGRAM [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("noi-peak-rss: fork");
        return 1;
    }
    if (pid == 0) {
        execv(argv[1], argv + 1);
        perror("noi-peak-rss: exec");
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) != pid) {
        perror("noi-peak-rss: wait4");
        return 1;
    }
    fprintf(stderr, "noi-peak-rss: %ld KiB\n", usage.ru_maxrss);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
