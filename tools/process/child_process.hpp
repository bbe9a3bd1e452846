// Runs a program of the project as a child process, for tests and noi-bench: its stdout and
// stderr go to files, and the caller can wait for a line, signal it, and collect its exit
// code. Every wait is bounded in time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace noi::process {

struct run_result {
    int exit_code = -1;
    std::string out, err;
};

// Runs to completion (killed after `limit`), reading `input` as its standard input (none:
// /dev/null).
run_result run(const std::vector<std::string>& argv,
               std::chrono::milliseconds limit = std::chrono::seconds(60),
               const std::optional<std::string>& input = std::nullopt);

class child_process {
public:
    child_process(const std::vector<std::string>& argv, const std::string& log_dir);
    ~child_process();
    // Waits until stderr holds a line containing `needle`; returns that line.
    std::optional<std::string> wait_for_stderr(const std::string& needle,
                                               std::chrono::milliseconds limit);
    void signal(int sig);
    // Waits for the exit; -1 when it had not exited in time (it is then killed).
    int wait(std::chrono::milliseconds limit);
    std::string stderr_text() const;
    int pid() const { return pid_; }

private:
    int pid_ = -1;
    std::string out_path_, err_path_;
    bool reaped_ = false;
};

} // namespace noi::process
