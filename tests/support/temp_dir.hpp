// A directory for test databases, removed afterwards. It lives on tmpfs (/dev/shm) when the
// machine has it, so fsync-heavy tests stay fast.
#pragma once

#include <string>

namespace noi::test {

class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

} // namespace noi::test
