#include "temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace noi::test {

temp_dir::temp_dir() {
    namespace fs = std::filesystem;
    std::string base =
        fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path().string();
    if (const char* t = std::getenv("NOI_TEST_TMP")) base = t;
    std::string tmpl = base + "/noi-test-XXXXXX";
    if (!mkdtemp(tmpl.data()))
        throw std::runtime_error("cannot make a temporary directory in " + base);
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

} // namespace noi::test
