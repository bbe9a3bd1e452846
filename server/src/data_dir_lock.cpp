#include "data_dir_lock.hpp"

#include <noi/sync/error.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace noi::server {

data_dir_lock::data_dir_lock(const std::string& dir, bool shared) {
    const auto path = dir + "/lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
        throw sync_error(errc::refused, "cannot open " + path + ": " + std::strerror(errno) +
                                            "; check the data directory's permissions");
    if (::flock(fd_, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        char pid[32] = {};
        auto n = ::pread(fd_, pid, sizeof pid - 1, 0);
        ::close(fd_);
        fd_ = -1;
        std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
            holder.pop_back();
        throw sync_error(errc::refused,
                         "another noi-server" + (holder.empty() ? "" : " (pid " + holder + ")") +
                             " is using " + dir +
                             "; stop it first, or choose another directory (servers share a "
                             "directory only when every one of them is started with --shared)");
    }
    // The file names one holder: the exclusive one, or the first of those sharing it.
    if (shared) {
        struct stat st {};
        if (::fstat(fd_, &st) == 0 && st.st_size > 0) return;
    }
    const auto pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0)
        spdlog::warn("cannot write the pid into {}: {}", path, std::strerror(errno));
}

data_dir_lock::~data_dir_lock() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<unsigned> restrict_dir_to_owner(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return std::nullopt;
    if (::chmod(dir.c_str(), st.st_mode & 0700) != 0)
        throw sync_error(errc::refused, "cannot make " + dir + " private (chmod 0700): " +
                                            std::strerror(errno) + "; check who owns it");
    return st.st_mode & 0777;
}

void write_owner_only(const std::string& path, const std::string& text) {
    const auto tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        out.flush();
        if (!out)
            throw sync_error(errc::refused,
                             "cannot write " + tmp + "; check the data directory's permissions");
    }
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write);
    std::filesystem::rename(tmp, path);
}

} // namespace noi::server
