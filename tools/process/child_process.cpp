#include "child_process.hpp"

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace noi::process {
namespace {

// in: the file the child reads as standard input ("" for /dev/null).
int spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err,
          const std::string& in = "") {
    // Everything the child needs is made before the fork: a process with other threads (a test
    // running a server in-process) may hold the allocator's lock at that moment, and a child
    // that allocates before exec then waits for it forever (seen under ASan: one run in ~40).
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = open(in.empty() ? "/dev/null" : in.c_str(), O_RDONLY);
        dup2(n, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(args[0], args.data());
        _exit(127);
    }
    return pid;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int reap(int pid, std::chrono::milliseconds limit, bool& reaped) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        int r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            reaped = true;
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    reaped = true;
    return -1;
}

std::string temp_name(const std::string& dir, const char* what) {
    static int counter = 0;
    return dir + "/" + what + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter) +
           ".log";
}

} // namespace

run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds limit,
               const std::optional<std::string>& input) {
    auto dir = std::string(std::filesystem::temp_directory_path());
    auto out = temp_name(dir, "out"), err = temp_name(dir, "err");
    const auto in = input ? temp_name(dir, "in") : std::string();
    if (input) std::ofstream(in, std::ios::binary) << *input;
    int pid = spawn(argv, out, err, in);
    bool reaped = false;
    run_result r;
    r.exit_code = reap(pid, limit, reaped);
    r.out = slurp(out);
    r.err = slurp(err);
    std::remove(out.c_str());
    std::remove(err.c_str());
    if (input) std::remove(in.c_str());
    return r;
}

child_process::child_process(const std::vector<std::string>& argv, const std::string& log_dir)
    : out_path_(temp_name(log_dir, "out")), err_path_(temp_name(log_dir, "err")) {
    pid_ = spawn(argv, out_path_, err_path_);
}

child_process::~child_process() {
    if (!reaped_) {
        kill(pid_, SIGKILL);
        int status;
        waitpid(pid_, &status, 0);
    }
}

std::optional<std::string> child_process::wait_for_stderr(const std::string& needle,
                                                          std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        // Only whole lines: the child may be in the middle of writing the last one.
        auto text = slurp(err_path_);
        text.erase(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line))
            if (line.find(needle) != std::string::npos) return line;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

void child_process::signal(int sig) {
    kill(pid_, sig);
}

int child_process::wait(std::chrono::milliseconds limit) {
    return reap(pid_, limit, reaped_);
}

std::string child_process::stderr_text() const {
    return slurp(err_path_);
}

} // namespace noi::process
