// One server process per data directory: `serve`, `restore` and `repair-clock` hold an exclusive
// lock on DIR/lock while they run, so a second one on the same directory is refused at once
// instead of writing beside the first. `serve --shared` holds it shared instead: servers that
// all say so serve one directory together, and each of the others is still refused while any of
// them runs. The lock goes with the process (flock), also on SIGKILL.
#pragma once

#include <optional>
#include <string>

namespace noi::server {

class data_dir_lock {
public:
    // Throws sync_error(refused) naming the holder's pid when another process holds it.
    explicit data_dir_lock(const std::string& dir, bool shared = false);
    ~data_dir_lock();
    data_dir_lock(const data_dir_lock&) = delete;
    data_dir_lock& operator=(const data_dir_lock&) = delete;

private:
    int fd_ = -1;
};

// Makes dir readable by its owner only (0700), whatever the umask made it; returns the mode it
// had when it changed it.
std::optional<unsigned> restrict_dir_to_owner(const std::string& dir);

// Writes `text` to `path`, readable by its owner only, replacing the file at once (a crash
// leaves the old file or the new one, never half of one).
void write_owner_only(const std::string& path, const std::string& text);

} // namespace noi::server
